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
 * @param automount {@code [automount] enabled} of wsl.conf (default true): whether the user's home
 *     is to be shared; recorded only until sharing exists
 * @param configProblems wsl.conf's invalid values and lines, one line each naming the file, line,
 *     section, key and value (e.g. {@code /etc/wsl.conf line 3: [boot] systemd = "ture" is not a
 *     boolean (true or false); using false}); each such setting kept its default
 */
public record EnvironmentInfo(
    boolean ready,
    String reason,
    Optional<String> defaultUser,
    String bootCommand,
    boolean systemd,
    List<String> generatedFiles,
    int bootCommandStatus,
    String systemdState,
    boolean automount,
    List<String> configProblems) {
  public EnvironmentInfo {
    generatedFiles = List.copyOf(generatedFiles);
    systemdState = systemdState == null ? "" : systemdState;
    configProblems = List.copyOf(configProblems);
  }

  /** Without systemd, with wsl.conf's defaults and no problems in it. */
  public EnvironmentInfo(
      boolean ready,
      String reason,
      Optional<String> defaultUser,
      String bootCommand,
      boolean systemd,
      List<String> generatedFiles,
      int bootCommandStatus) {
    this(ready, reason, defaultUser, bootCommand, systemd, generatedFiles, bootCommandStatus, "", true, List.of());
  }

  /** Whether systemd runs and reached {@code running} or {@code degraded}. */
  public boolean systemdUp() {
    return systemdState.equals("running") || systemdState.equals("degraded");
  }
}
