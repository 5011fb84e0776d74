package dev.linux.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code /proc} says about a QEMU process that is not our child (it daemonized): whether it
 * is alive (a zombie is not) and whether it is ours (its command line names our agent socket).
 */
final class QemuProcess {
  private QemuProcess() {}

  static boolean isAlive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // "pid (comm) S ...": the state follows the last ')', as comm may contain anything.
      int close = stat.lastIndexOf(')');
      char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  /** True when process {@code pid} runs and its command line mentions {@code agentSocket}. */
  static boolean isOurs(long pid, Path agentSocket) {
    if (!isAlive(pid)) {
      return false;
    }
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
      return cmdline.contains("path=" + agentSocket.toString().replace(",", ",,") + ",");
    } catch (IOException e) {
      return false;
    }
  }

  static Optional<Long> readPidFile(Path pidFile) {
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
