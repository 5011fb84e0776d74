package dev.linux.cli;

import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.HostUser;
import dev.linux.shell.InteractiveSession;
import dev.linux.vm.GuestAgent;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "enter",
    description = {
      "Open an interactive login shell in an environment (default: dev).",
      "Creates it from the default image and boots it when needed."
    })
final class EnterCommand implements Callable<Integer> {

  static final String DEFAULT_ENVIRONMENT = "dev";

  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", defaultValue = DEFAULT_ENVIRONMENT)
  String name;

  @Override
  public Integer call() throws Exception {
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), false);
    EnvName env = EnvName.of(name);
    if (environments.find(env).isEmpty()) {
      environments.create(env, CreateOptions.defaults());
    }
    try (GuestAgent agent = environments.connect(env)) {
      EnvironmentRecord record = environments.find(env).orElseThrow();
      String user = environments.defaultUser(record, agent, HostUser.current());
      return InteractiveSession.run(agent, GuestProcesses.loginShell(record, user));
    }
  }
}
