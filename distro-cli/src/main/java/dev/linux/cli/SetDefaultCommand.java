package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.GlobalConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "set-default",
    description = {
      "Make an environment the one run and enter use without a name.",
      "Stored as defaultEnvironment in the global configuration (linux config).",
      "",
      "  linux set-default work && linux run -- make"
    })
final class SetDefaultCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Override
  public Integer call() {
    EnvName env = EnvName.of(name);
    if (CliEnvironment.environments(spec.commandLine().getErr(), true).find(env).isEmpty()) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no environment named '" + env + "' (see linux list)");
    }
    CliEnvironment.config().set(GlobalConfig.Key.DEFAULT_ENVIRONMENT, env.value());
    return 0;
  }
}
