package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.HostUser;
import dev.linux.shell.HostTerminal;
import dev.linux.shell.InlineRun;
import dev.linux.shell.InteractiveSession;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "run",
    description = {
      "Run one command in an environment, booting it first if it is stopped.",
      "stdin, stdout, stderr and the exit status carry over, so it works in pipes:",
      "",
      "  linux run dev -- uname -a",
      "  tar c src | linux run dev -- tar x -C /root",
      "  linux run -- make        in the default environment (set-default; else dev)",
      "",
      "Exit status: the command's own; 127 command not found, 126 not executable,",
      "125 when linux itself failed."
    })
final class RunCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-w", "--workdir", "--cd"}, paramLabel = "DIR", description = "Working directory in the environment (default: the current directory when the environment shares it, else the user's home).")
  String workdir;

  @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Run as USER (NAME, NAME:GROUP, UID or UID:GID); default: the environment's default user.")
  String user;

  @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (repeatable).")
  List<String> env = List.of();

  @Option(names = {"-t", "--tty"}, description = "Use a pseudo-terminal (default when stdin and stdout are terminals).")
  Boolean tty;

  @Parameters(arity = "1..*", paramLabel = "[NAME] [--] COMMAND", description = "The environment (omit it, and start with --, for the default one), then the command and its arguments.")
  List<String> words;

  String name;
  List<String> command;

  @Override
  public Integer call() throws Exception {
    StartupTrace.mark("parsed");
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), false);
    StartupTrace.mark("config");
    splitNameFromCommand();
    List<String> argv = !command.isEmpty() && command.get(0).equals("--") ? command.subList(1, command.size()) : command;
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("no command given: linux run " + (name != null ? name + " " : "") + "-- COMMAND [ARG...]");
    }
    boolean useTty = tty != null ? tty : HostTerminal.interactive();
    EnvName envName = name != null ? EnvName.of(name) : CliEnvironment.config().defaultEnvironment();
    try (GuestAgent agent = environments.connect(envName)) {
      StartupTrace.mark("daemon handshake (status, start)");
      EnvironmentRecord record = environments.find(envName).orElseThrow();
      StartupTrace.mark("record");
      String runAs = user != null ? user : environments.defaultUser(record, agent, HostUser.current());
      StartupTrace.mark("default user (describe, ensure)");
      ProcessSpec process = GuestProcesses.command(record, runAs, argv, env,
          WorkingDirectory.resolve(workdir, environments, envName, spec.commandLine().getErr()));
      if (useTty) {
        return InteractiveSession.run(agent, process);
      }
      StandardOutput out = StandardOutput.open();
      OutputStream err = new FileOutputStream(FileDescriptor.err);
      try {
        int status = InlineRun.run(agent, process, HostStdin.open(), out, err);
        StartupTrace.mark("guest exec");
        return status;
      } catch (AgentException e) {
        if (out.readerGone()) {
          return StandardOutput.READER_GONE;
        }
        throw e;
      }
    } catch (AgentException e) {
      throw GuestProcesses.failure(envName, e);
    }
  }

  /**
   * {@code linux run -- CMD} (the delimiter first) means the default environment; otherwise the
   * first word names the environment. picocli consumes a leading {@code --}, so it is recognised by
   * the original arguments holding one more {@code --} than the parsed words.
   */
  private void splitNameFromCommand() {
    long delimiters = spec.commandLine().getParseResult().originalArgs().stream().filter("--"::equals).count();
    long kept = words.stream().filter("--"::equals).count();
    if (delimiters > kept) {
      name = null;
      command = words;
    } else {
      name = words.get(0);
      command = words.subList(1, words.size());
    }
  }
}
