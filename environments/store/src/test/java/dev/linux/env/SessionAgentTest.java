package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SessionAgentTest {

  /** A short clock period, so that both "it ticks" and "it stopped ticking" can be observed. */
  private static final Duration PERIOD = Duration.ofMillis(20);

  /** Records clock settings and closing; nothing else is expected of it here. */
  static final class RecordingAgent extends StubGuestAgent {
    final CountDownLatch threeSyncs = new CountDownLatch(3);
    final AtomicInteger syncs = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();
    volatile Instant firstTime;

    @Override
    public Duration setTime(Instant now) {
      if (syncs.getAndIncrement() == 0) {
        firstTime = now;
      }
      threeSyncs.countDown();
      return Duration.ZERO;
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @Test
  void aSessionKeepsTheGuestClockSetUntilClosedAndNeverAfter() throws Exception {
    RecordingAgent real = new RecordingAgent();
    Instant before = Instant.now();
    SessionAgent session = new SessionAgent(real, PERIOD);
    assertTrue(real.threeSyncs.await(5, TimeUnit.SECONDS), "the clock is set at once and every period");
    assertFalse(real.firstTime.isBefore(before), "set from the host's clock at the time");
    session.close();
    assertTrue(real.closed.get());
    int afterClose = real.syncs.get();
    Thread.sleep(PERIOD.multipliedBy(10));
    assertEquals(afterClose, real.syncs.get(), "no sync after close (ten periods later)");
  }
}
