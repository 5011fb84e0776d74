package dev.linux.env.daemon;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The daemon's log: one timestamped line per thing worth knowing later (its stderr, a file). */
final class DaemonLog {

  private final PrintStream out;

  DaemonLog(PrintStream out) {
    this.out = out;
  }

  void info(String message) {
    synchronized (out) {
      out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + message);
      out.flush();
    }
  }
}
