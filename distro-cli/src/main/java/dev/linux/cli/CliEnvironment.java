package dev.linux.cli;

import dev.linux.env.Environments;
import dev.linux.env.GlobalConfig;
import dev.linux.env.LinuxHome;
import java.io.PrintWriter;

/** Builds the services a command needs from the process environment; one place for the wiring. */
final class CliEnvironment {

  private CliEnvironment() {}

  static LinuxHome home() {
    return LinuxHome.fromEnvironment(System.getenv());
  }

  /** The global configuration; LINUX_KERNEL overrides its kernel. Invalid values fail here. */
  static GlobalConfig config() {
    return GlobalConfig.load(home(), System.getenv());
  }

  /**
   * The environments, with the per-user daemon owning their VMs; {@code LINUX_NO_DAEMON=1} keeps
   * VMs in this process's hands instead (one agent session per VM at a time, no idle shutdown).
   */
  static Environments environments(PrintWriter err, boolean quiet) {
    LinuxHome home = home();
    TerminalProgress progress = new TerminalProgress(err, quiet);
    Environments local = new Environments(home, progress, config().kernel());
    if ("1".equals(System.getenv("LINUX_NO_DAEMON"))) {
      return local;
    }
    return new Environments(home, progress, config().kernel(), new DaemonOwner(home, progress, local));
  }
}
