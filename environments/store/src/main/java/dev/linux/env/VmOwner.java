package dev.linux.env;

import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.GuestAgent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Whoever owns the running VMs: boots them, hands out agent sessions, stops and removes
 * environments. The CLI hands these operations to the per-user daemon ({@code
 * dev.linux.env.daemon.DaemonClient}); the daemon itself, and tests, let {@link Environments} do
 * them in-process.
 */
public interface VmOwner {

  /** Boots the environment unless it is running; returns once its agent answers. */
  void start(EnvName name);

  /** A session with the environment's agent, booting it first if needed; the caller closes it. */
  GuestAgent connect(EnvName name);

  /**
   * What the agent of the running environment reports; empty when it does not run or its agent
   * does not answer. Never boots it.
   */
  Optional<EnvironmentInfo> describeIfRunning(EnvName name);

  /** Shuts the environment down cleanly; false if it was not running. */
  boolean stop(EnvName name, Duration grace);

  /** Stops every running environment; returns the names of those it stopped. */
  List<EnvName> stopAll(Duration grace);

  /** Deletes the environment; a running one only with {@code force}. */
  void remove(EnvName name, boolean force);
}
