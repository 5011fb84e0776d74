package dev.linux.cli;

import dev.linux.env.EnvName;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "start", description = "Boot an environment's VM; it keeps running after this command returns.")
final class StartCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Override
  public Integer call() {
    CliEnvironment.environments(spec.commandLine().getErr(), false).start(EnvName.of(name));
    return 0;
  }
}
