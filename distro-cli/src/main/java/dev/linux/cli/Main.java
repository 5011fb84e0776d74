package dev.linux.cli;

import java.util.List;
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
    footer = {
      "",
      "Environment: LINUX_HOME (an independent data directory), LINUX_ACCEL (kvm|tcg),",
      "LINUX_DEBUG=1 (stack traces), LINUX_NO_DAEMON=1 (run VMs in this process).",
    })
public final class Main implements Runnable {

  /** The subcommands, in the order {@code --help} lists them. */
  private static final List<Class<?>> SUBCOMMANDS = List.of(
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
      PathCommand.class,
      CommandLine.HelpCommand.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    HostStdin.install();
    StartupTrace.mark("main");
    CommandLine cli = newCommandLine(args);
    StartupTrace.mark("picocli model");
    int status = cli.execute(args);
    StartupTrace.mark("exit");
    System.exit(status);
  }

  /** Runs the CLI in-process (tests use this with captured output). */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  /** The whole command tree (what {@code --help}, {@code help} and the tests see). */
  public static CommandLine newCommandLine() {
    return newCommandLine(SUBCOMMANDS);
  }

  /**
   * The tree {@code args} needs: picocli builds the model of every subcommand it is given (its
   * annotations read by reflection, and picocli's classes cannot come from the ahead-of-time
   * cache), so {@code linux run ...} gets only {@code run}, and {@code --version} none. Anything
   * else (no arguments, {@code --help}, {@code help}, a typo) gets the whole tree, so usage and
   * "did you mean" stay what they were.
   */
  static CommandLine newCommandLine(String[] args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      return newCommandLine(List.of());
    }
    if (args.length > 0 && !args[0].equals("help")) {
      for (Class<?> type : SUBCOMMANDS) {
        Command command = type.getAnnotation(Command.class);
        if (command != null && (command.name().equals(args[0]) || List.of(command.aliases()).contains(args[0]))) {
          return newCommandLine(List.of(type));
        }
      }
    }
    return newCommandLine(SUBCOMMANDS);
  }

  private static CommandLine newCommandLine(List<Class<?>> subcommands) {
    CommandLine cli = new CommandLine(new Main());
    for (Class<?> type : subcommands) {
      cli.addSubcommand(type);
    }
    cli.setExecutionExceptionHandler(new ErrorReporter());
    cli.setParameterExceptionHandler(new UsageErrorReporter());
    cli.setUsageHelpAutoWidth(true);
    // `linux run dev ls -la`: everything after the environment's name belongs to the command.
    CommandLine run = cli.getSubcommands().get("run");
    if (run != null) {
      run.setStopAtPositional(true);
    }
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
