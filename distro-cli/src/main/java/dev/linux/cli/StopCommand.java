package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "stop",
    description = {
      "Shut an environment down cleanly.",
      "Processes get SIGTERM, then SIGKILL after the grace period; the disk is synced",
      "and unmounted before the VM powers off.",
      "",
      "  linux stop dev",
      "  linux stop --all          every running environment"
    })
final class StopCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", arity = "0..1")
  String name;

  @Option(names = "--all", description = "Stop every running environment.")
  boolean all;

  @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period for processes (default: ${DEFAULT-VALUE}).", defaultValue = "5")
  int graceSeconds;

  /** The grace period of {@code stop}, {@code restart} and {@code shutdown}: 0 or more seconds. */
  static Duration gracePeriod(int seconds) {
    if (seconds < 0) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "the grace period must be 0 or more seconds, not " + seconds);
    }
    return Duration.ofSeconds(seconds);
  }

  @Override
  public Integer call() {
    gracePeriod(graceSeconds);
    if (all == (name != null)) {
      throw new IllegalArgumentException("give either an environment's NAME or --all");
    }
    if (all) {
      CliEnvironment.environments(spec.commandLine().getErr(), false).stopAll(gracePeriod(graceSeconds))
          .forEach(stopped -> spec.commandLine().getErr().println("stopped " + stopped));
      return 0;
    }
    boolean stopped = CliEnvironment.environments(spec.commandLine().getErr(), false)
        .stop(EnvName.of(name), gracePeriod(graceSeconds));
    if (!stopped) {
      spec.commandLine().getErr().println(name + " is not running");
    }
    return 0;
  }
}
