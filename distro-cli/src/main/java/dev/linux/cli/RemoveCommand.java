package dev.linux.cli;

import dev.linux.env.EnvName;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "rm", description = "Delete an environment and its disk. This cannot be undone.")
final class RemoveCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", arity = "1..*")
  java.util.List<String> names;

  @Option(names = {"-f", "--force"}, description = "Stop it first if it is running.")
  boolean force;

  @Override
  public Integer call() {
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), false);
    for (String name : names) {
      environments.remove(EnvName.of(name), force);
    }
    return 0;
  }
}
