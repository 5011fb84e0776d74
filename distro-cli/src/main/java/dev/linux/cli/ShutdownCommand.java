package dev.linux.cli;

import dev.linux.env.EnvName;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "shutdown",
    description = {
      "Stop every running environment, then the daemon.",
      "Each cleanly, as 'linux stop' does; 'linux stop --all' leaves the daemon running."
    })
final class ShutdownCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period for processes (default: ${DEFAULT-VALUE}).", defaultValue = "5")
  int graceSeconds;

  @Override
  public Integer call() {
    List<EnvName> stopped = CliEnvironment.environments(spec.commandLine().getErr(), true)
        .stopAll(StopCommand.gracePeriod(graceSeconds));
    stopped.forEach(name -> spec.commandLine().getErr().println("stopped " + name));
    dev.linux.env.daemon.DaemonClient.ifRunning(CliEnvironment.home(), dev.linux.env.Progress.SILENT).ifPresent(daemon -> {
      try (daemon) {
        daemon.exit(false);
      }
    });
    return 0;
  }
}
