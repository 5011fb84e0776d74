package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.VmOwner;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.GuestAgent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The CLI's {@link VmOwner}: the per-user daemon, started on first need. Stopping, removing and
 * describing do not start a daemon: when none runs, nothing holds a VM's agent connection, so this
 * process does the work itself.
 */
final class DaemonOwner implements VmOwner {

  private final LinuxHome home;
  private final Progress progress;
  private final Environments local;

  DaemonOwner(LinuxHome home, Progress progress, Environments local) {
    this.home = home;
    this.progress = progress;
    this.local = local;
  }

  private DaemonClient daemon() {
    return DaemonClient.connect(home, progress, new DaemonLauncher());
  }

  @Override
  public void start(EnvName name) {
    try (DaemonClient daemon = daemon()) {
      daemon.start(name);
    }
  }

  @Override
  public GuestAgent connect(EnvName name) {
    try (DaemonClient daemon = daemon()) {
      return daemon.connect(name);
    }
  }

  @Override
  public Optional<EnvironmentInfo> describeIfRunning(EnvName name) {
    return ifRunning(daemon -> daemon.describeIfRunning(name), () -> local.describeIfRunning(name));
  }

  @Override
  public boolean stop(EnvName name, Duration grace) {
    return ifRunning(daemon -> daemon.stop(name, grace), () -> local.stop(name, grace));
  }

  @Override
  public List<EnvName> stopAll(Duration grace) {
    return ifRunning(daemon -> daemon.stopAll(grace), () -> local.stopAll(grace));
  }

  @Override
  public void remove(EnvName name, boolean force) {
    ifRunning(daemon -> {
      daemon.remove(name, force);
      return null;
    }, () -> {
      local.remove(name, force);
      return null;
    });
  }

  private <T> T ifRunning(Function<DaemonClient, T> withDaemon, java.util.function.Supplier<T> without) {
    Optional<DaemonClient> daemon = DaemonClient.ifRunning(home, progress);
    if (daemon.isEmpty()) {
      return without.get();
    }
    try (DaemonClient client = daemon.get()) {
      return withDaemon.apply(client);
    }
  }
}
