package dev.linux.vm;

import java.time.Duration;

/**
 * What the guest agent says about itself.
 *
 * @param version vminitd's version
 * @param uptime time since the guest kernel booted
 * @param readyAfter time from kernel boot until the agent began serving
 * @param environmentReady whether the environment's disk is mounted and processes can run
 * @param kernelRelease the guest's {@code uname -r}
 * @param agentHeapBytes the agent's Go heap in use (bytes)
 * @param agentSysBytes memory the agent's runtime holds from the guest kernel (bytes)
 * @param agentGoroutines the agent's goroutines
 * @param agentMemoryLimitBytes the soft limit the agent keeps its heap under (bytes)
 * @param agentProcesses processes the agent runs for Exec calls right now
 */
public record AgentInfo(
    String version,
    Duration uptime,
    Duration readyAfter,
    boolean environmentReady,
    String kernelRelease,
    long agentHeapBytes,
    long agentSysBytes,
    int agentGoroutines,
    long agentMemoryLimitBytes,
    int agentProcesses) {

  /** Identity only, without the agent's statistics. */
  public AgentInfo(
      String version,
      Duration uptime,
      Duration readyAfter,
      boolean environmentReady,
      String kernelRelease) {
    this(version, uptime, readyAfter, environmentReady, kernelRelease, 0, 0, 0, 0, 0);
  }
}
