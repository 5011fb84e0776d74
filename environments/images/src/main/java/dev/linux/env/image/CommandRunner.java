package dev.linux.env.image;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program to completion. Standard input is always {@code /dev/null} (tools such
 * as mmdebstrap read stdin when it is not a terminal); standard output and error go to a log file.
 */
public interface CommandRunner {

  /**
   * @param workingDir where the program runs, or null for the current directory
   * @throws ImageException if it exits with a non-zero status or outlives {@code timeout}; the
   *     message ends with the last line of the log
   */
  void run(List<String> command, Path workingDir, Path log, Duration timeout) throws IOException;

  /** Runs programs as child processes of this JVM. */
  static CommandRunner system() {
    return (command, workingDir, log, timeout) -> {
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      if (workingDir != null) {
        builder.directory(workingDir.toFile());
      }
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new ImageException("cannot run " + command.getFirst() + ": " + e.getMessage(), e);
      }
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new ImageException(command.getFirst() + " did not finish within " + timeout.toMinutes() + " minutes");
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + command.getFirst(), e);
      }
      if (process.exitValue() != 0) {
        throw new ImageException(command.getFirst() + " failed with exit status " + process.exitValue()
            + lastLine(log));
      }
    };
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.isBlank()).toList();
      return lines.isEmpty() ? "" : ": " + lines.getLast().strip();
    } catch (IOException | java.io.UncheckedIOException e) {
      return "";
    }
  }
}
