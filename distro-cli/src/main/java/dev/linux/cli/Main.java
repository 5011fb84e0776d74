package dev.linux.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code linux} command. */
@Command(
    name = "linux",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = VersionProvider.class,
    description = {
      "Persistent, named Linux environments, each on its own micro-VM.",
      "",
      "  linux enter dev             a shell in 'dev' (created on first use)",
      "  linux run dev -- make -j4   one command: stdio and exit status carry over",
      ""
    },
    subcommands = {
      CreateCommand.class,
      StartCommand.class,
      StopCommand.class,
      ResizeCommand.class,
      RunCommand.class,
      EnterCommand.class,
      ListCommand.class,
      RemoveCommand.class,
      RestartCommand.class,
      LogsCommand.class,
      InspectCommand.class,
      PortsCommand.class,
      SetCommand.class,
      SetDefaultCommand.class,
      RenameCommand.class,
      CloneCommand.class,
      CopyCommand.class,
      ShutdownCommand.class,
      DaemonCommand.class,
      ConfigCommand.class,
      ImageCommand.class,
      ImportCommand.class,
      ExportCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Environment: LINUX_HOME (an independent data directory), LINUX_ACCEL (kvm|tcg),",
      "LINUX_DEBUG=1 (stack traces), LINUX_NO_DAEMON=1 (run VMs in this process).",
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    HostStdin.install();
    System.exit(execute(args));
  }

  /** Runs the CLI in-process (tests use this with captured output). */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  public static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(new ErrorReporter());
    cli.setParameterExceptionHandler(new UsageErrorReporter());
    cli.setUsageHelpAutoWidth(true);
    // `linux run dev ls -la`: everything after the environment's name belongs to the command.
    cli.getSubcommands().get("run").setStopAtPositional(true);
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
