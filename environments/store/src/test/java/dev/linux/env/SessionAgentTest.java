package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.GuestAgent;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SessionAgentTest {

  /** Records clock settings and closing; nothing else is expected of it here. */
  static final class RecordingAgent extends StubGuestAgent {
    final CountDownLatch firstSync = new CountDownLatch(1);
    final AtomicInteger syncs = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();
    volatile Instant lastTime;

    @Override
    public Duration setTime(Instant now) {
      lastTime = now;
      syncs.incrementAndGet();
      firstSync.countDown();
      return Duration.ZERO;
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @Test
  void aSessionSetsTheGuestClockAtOnceAndStopsWhenClosed() throws Exception {
    RecordingAgent real = new RecordingAgent();
    Instant before = Instant.now();
    SessionAgent session = new SessionAgent(real);
    assertTrue(real.firstSync.await(5, TimeUnit.SECONDS), "the clock is set when the session opens");
    assertTrue(!real.lastTime.isBefore(before));
    session.close();
    assertTrue(real.closed.get());
    int afterClose = real.syncs.get();
    Thread.sleep(100);
    assertEquals(afterClose, real.syncs.get(), "no sync after close");
  }
}
