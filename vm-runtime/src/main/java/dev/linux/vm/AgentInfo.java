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
 */
public record AgentInfo(
    String version,
    Duration uptime,
    Duration readyAfter,
    boolean environmentReady,
    String kernelRelease) {}
