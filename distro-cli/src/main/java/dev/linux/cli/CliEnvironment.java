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

  static Environments environments(PrintWriter err, boolean quiet) {
    return new Environments(home(), new TerminalProgress(err, quiet), config().kernel());
  }
}
