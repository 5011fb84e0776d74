package dev.linux.cli;

import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/** Builds the services a command needs from the process environment; one place for the wiring. */
final class CliEnvironment {

  private CliEnvironment() {}

  static Environments environments(PrintWriter err, boolean quiet) {
    LinuxHome home = LinuxHome.fromEnvironment(System.getenv());
    String kernel = System.getenv("LINUX_KERNEL");
    Optional<Path> kernelDir = kernel == null || kernel.isEmpty() ? Optional.empty() : Optional.of(Path.of(kernel));
    return new Environments(home, new TerminalProgress(err, quiet), kernelDir);
  }
}
