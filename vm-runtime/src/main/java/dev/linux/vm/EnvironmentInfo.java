package dev.linux.vm;

import java.util.List;
import java.util.Optional;

/**
 * What the guest agent found in the environment at boot.
 *
 * @param ready whether the environment's disk is mounted and processes can run
 * @param reason why it is not ready (empty when it is)
 * @param defaultUser {@code [user] default} of the image's {@code /etc/wsl.conf}, if set
 * @param bootCommand {@code [boot] command} of wsl.conf (empty when none)
 * @param systemd {@code [boot] systemd} of wsl.conf
 * @param generatedFiles files the agent wrote at boot, e.g. {@code /etc/hosts}
 * @param bootCommandStatus exit status of the boot command; -1 when none ran (or it still runs)
 */
public record EnvironmentInfo(
    boolean ready,
    String reason,
    Optional<String> defaultUser,
    String bootCommand,
    boolean systemd,
    List<String> generatedFiles,
    int bootCommandStatus) {
  public EnvironmentInfo {
    generatedFiles = List.copyOf(generatedFiles);
  }
}
