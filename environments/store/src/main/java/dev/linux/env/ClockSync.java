package dev.linux.env;

import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.VirtualMachine;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a guest's clock on the host's while a session is open: set when the session starts (the
 * guest may have slept, or drifted under TCG since boot) and every minute after that. Without a
 * daemon, sessions are the only times the host talks to a guest; the daemon will take this over.
 */
final class ClockSync implements AutoCloseable {

  static final Duration PERIOD = Duration.ofMinutes(1);

  private final ScheduledExecutorService timer;

  private ClockSync(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Sets the clock now and every {@code period} after (tests use a short one). */
  static ClockSync start(GuestAgent agent, Duration period) {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "guest-clock-sync");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(
        () -> syncQuietly(agent), 0, period.toNanos(), TimeUnit.NANOSECONDS);
    return new ClockSync(timer);
  }

  private static void syncQuietly(GuestAgent agent) {
    try {
      VirtualMachine.setClock(agent);
    } catch (AgentException | RuntimeException e) {
      // A missed sync is retried at the next tick; the session itself must not fail because of it.
    }
  }

  /** Stops the timer; once this returns, no sync runs (one in flight is waited for, briefly). */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
