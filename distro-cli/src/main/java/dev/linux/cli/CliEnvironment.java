package dev.linux.cli;

import dev.linux.env.Environments;
import dev.linux.env.GlobalConfig;
import dev.linux.env.LinuxHome;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** Builds the services a command needs from the process environment; one place for the wiring. */
final class CliEnvironment {

  private CliEnvironment() {}

  private static boolean madePrivate;

  /**
   * This instance's directories, made private to the user on the first call of each command (older
   * versions left them readable by other local users).
   */
  static LinuxHome home() {
    LinuxHome home = LinuxHome.fromEnvironment(System.getenv());
    if (!madePrivate) {
      madePrivate = true;
      try {
        home.makePrivate();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + home.data() + ": " + e.getMessage(), e);
      }
    }
    return home;
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
