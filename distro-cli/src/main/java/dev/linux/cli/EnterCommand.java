package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.HostUser;
import dev.linux.shell.InteractiveSession;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
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
      "  linux enter work"
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
      return InteractiveSession.run(agent, GuestProcesses.loginShell(record, user, cwd));
    } catch (AgentException e) {
      throw GuestProcesses.failure(env, e);
    }
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
