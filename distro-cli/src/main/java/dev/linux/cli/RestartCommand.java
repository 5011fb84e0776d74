package dev.linux.cli;

import dev.linux.env.EnvName;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "restart",
    description = {
      "Stop an environment (if it is running) and boot it again.",
      "It boots with its current settings (see linux set).",
      "",
      "  linux set dev --memory 8G && linux restart dev"
    })
final class RestartCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period for processes (default: ${DEFAULT-VALUE}).", defaultValue = "5")
  int graceSeconds;

  @Override
  public Integer call() {
    CliEnvironment.environments(spec.commandLine().getErr(), false)
        .restart(EnvName.of(name), StopCommand.gracePeriod(graceSeconds));
    return 0;
  }
}
