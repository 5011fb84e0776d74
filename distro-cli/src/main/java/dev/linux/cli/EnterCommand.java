package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.HostUser;
import dev.linux.shell.HostTerminal;
import dev.linux.shell.InlineRun;
import dev.linux.shell.InteractiveSession;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "enter",
    description = {
      "Open an interactive login shell in an environment.",
      "Default: the one set with 'linux set-default', else dev. It is created from the",
      "default image and booted when needed.",
      "",
      "  linux enter            the default environment",
      "  linux enter work",
      "",
      "Without a terminal on stdin the shell reads its commands from stdin and",
      "exits at its end with the shell's status:  printf 'make\\n' | linux enter work"
    })
final class EnterCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @picocli.CommandLine.Option(names = {"-w", "--cd"}, paramLabel = "DIR",
      description = "Start in DIR (default: the current directory when the environment shares it, else your home).")
  String workdir;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME")
  String name;

  @Override
  public Integer call() throws Exception {
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), false);
    var config = CliEnvironment.config();
    EnvName env = name != null ? EnvName.of(name) : config.defaultEnvironment();
    if (environments.find(env).isEmpty()) {
      environments.create(env, config.createDefaults());
    }
    try (GuestAgent agent = environments.connect(env)) {
      EnvironmentRecord record = environments.find(env).orElseThrow();
      warnAboutConfigProblems(agent);
      String user = environments.defaultUser(record, agent, HostUser.current());
      String cwd = WorkingDirectory.resolve(workdir, environments, env, spec.commandLine().getErr());
      var shell = GuestProcesses.loginShell(record, user, cwd);
      if (sessionFor(HostTerminal.isTerminal(0)) == Session.PTY) {
        return InteractiveSession.run(agent, shell);
      }
      StandardOutput out = StandardOutput.open();
      try {
        return InlineRun.run(agent, shell, HostStdin.open(), out, new FileOutputStream(FileDescriptor.err));
      } catch (AgentException e) {
        if (out.readerGone()) {
          return StandardOutput.READER_GONE;
        }
        throw e;
      }
    } catch (AgentException e) {
      throw GuestProcesses.failure(env, e);
    }
  }

  /** How the login shell is joined to this process. */
  enum Session { PTY, PIPES }

  /**
   * A guest pty (and the host terminal in raw mode) only when stdin is a terminal. Otherwise the
   * shell reads commands from the pipe or file, as {@code ssh host <script} does, without a line
   * editor that would query a terminal that is not there, and ends at EOF with its own status.
   */
  static Session sessionFor(boolean stdinIsTerminal) {
    return stdinIsTerminal ? Session.PTY : Session.PIPES;
  }

  /**
   * The environment booted with defaults in place of wsl.conf's invalid values; a person entering
   * it should learn why (say, systemd is not running). {@code run} stays quiet for scripts.
   */
  private void warnAboutConfigProblems(GuestAgent agent) {
    PrintWriter err = spec.commandLine().getErr();
    try {
      agent.describeEnvironment().configProblems().stream().distinct()
          .forEach(problem -> err.println("linux: warning: " + problem));
    } catch (AgentException e) {
      return; // defaultUser asks the agent next and reports the failure
    }
    err.flush();
  }
}
