package dev.linux.cli;

/**
 * Where a command's start-up time goes, for {@code bench/startup-breakdown}: with {@code
 * LINUX_TRACE_STARTUP} set to the launch time (nanoseconds since the epoch, as {@code date +%s%N}
 * prints it), each {@link #mark} prints one line on stderr with the milliseconds since the launch.
 * Off (one static check) otherwise.
 */
final class StartupTrace {

  private static final long LAUNCHED = launched();

  private StartupTrace() {}

  static void mark(String phase) {
    if (LAUNCHED != 0) {
      java.time.Instant now = java.time.Instant.now();
      long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      System.err.printf("linux-trace %.1f %s%n", (nanos - LAUNCHED) / 1e6, phase);
    }
  }

  private static long launched() {
    String value = System.getenv("LINUX_TRACE_STARTUP");
    try {
      return value == null ? 0 : Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
