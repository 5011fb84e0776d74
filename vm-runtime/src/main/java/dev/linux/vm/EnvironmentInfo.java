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
 * @param systemdState the environment's init (systemd) in its own PID namespace: empty when not
 *     started, {@code starting}, then what {@code systemctl is-system-running} said ({@code
 *     running}, {@code degraded}, ...), {@code failed: <reason>} or {@code timeout: <state>}
 */
public record EnvironmentInfo(
    boolean ready,
    String reason,
    Optional<String> defaultUser,
    String bootCommand,
    boolean systemd,
    List<String> generatedFiles,
    int bootCommandStatus,
    String systemdState) {
  public EnvironmentInfo {
    generatedFiles = List.copyOf(generatedFiles);
    systemdState = systemdState == null ? "" : systemdState;
  }

  /** Without systemd. */
  public EnvironmentInfo(
      boolean ready,
      String reason,
      Optional<String> defaultUser,
      String bootCommand,
      boolean systemd,
      List<String> generatedFiles,
      int bootCommandStatus) {
    this(ready, reason, defaultUser, bootCommand, systemd, generatedFiles, bootCommandStatus, "");
  }

  /** Whether systemd runs and reached {@code running} or {@code degraded}. */
  public boolean systemdUp() {
    return systemdState.equals("running") || systemdState.equals("degraded");
  }
}
