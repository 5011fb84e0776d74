package dev.linux.vm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HelloHandlerTest {
  private static final String N1 = "0123456789abcdef0123456789abcdef";
  private static final String N2 = "fedcba9876543210fedcba9876543210";
  private static final String N3 = "00112233445566778899aabbccddeeff";

  /** Stands in for gRPC's HTTP/2 handler: records what reaches it. */
  static final class Recorder extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<Object> events = new ArrayList<>();
    int active;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      active++;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      byte[] raw = new byte[b.readableBytes()];
      b.readBytes(raw);
      b.release();
      bytes.writeBytes(raw);
    }
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  private static String written(EmbeddedChannel ch) {
    StringBuilder out = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.append(b.toString(StandardCharsets.US_ASCII));
      b.release();
    }
    return out.toString();
  }

  private static EmbeddedChannel channel(HelloHandler hello) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    ch.pipeline().addLast(hello);
    return ch;
  }

  @Test
  void discardsLeftoversAndWrongNoncesThenPassesTheRestOnIntact() {
    Recorder next = new Recorder();
    Iterator<String> nonces = List.of(N1).iterator();
    HelloHandler hello =
        new HelloHandler(next, Duration.ofSeconds(10), Duration.ofSeconds(1), nonces::next)
            .withoutNegotiationEvent();
    EmbeddedChannel ch = channel(hello);
    assertEquals("VMINITD-HELLO " + N1 + "\n", written(ch));

    byte[] stale = new byte[200_000];
    new Random(1).nextBytes(stale);
    ch.writeInbound(Unpooled.wrappedBuffer(stale));
    ch.writeInbound(ascii("garbage VMINITD-READY " + N2 + "\nVMINITD-READY " + N1.substring(0, 5)));
    ch.writeInbound(ascii("VVMINITD-READY " + N1.substring(0, 31) + "x\n")); // near misses
    assertEquals(0, next.bytes.size(), "nothing passes before the answer");
    assertSame(hello, ch.pipeline().get(HelloHandler.class));

    byte[] http2 = new byte[100_000];
    new Random(2).nextBytes(http2);
    ByteBuf last = Unpooled.buffer();
    last.writeBytes(("VMINITD-READY " + N1.substring(0, 10)).getBytes(StandardCharsets.US_ASCII));
    ch.writeInbound(last);
    ByteBuf split = Unpooled.buffer();
    split.writeBytes((N1.substring(10) + "\n").getBytes(StandardCharsets.US_ASCII));
    split.writeBytes(http2, 0, 1000);
    ch.writeInbound(split);
    ch.writeInbound(Unpooled.wrappedBuffer(http2, 1000, http2.length - 1000));

    assertNull(ch.pipeline().get(HelloHandler.class), "the hello handler removed itself");
    assertArrayEquals(http2, next.bytes.toByteArray());
    assertTrue(hello.discarded() >= stale.length, "discarded " + hello.discarded());
    assertEquals("", written(ch), "no second hello after the answer");
    ch.advanceTimeBy(1, TimeUnit.MINUTES);
    ch.runScheduledPendingTasks();
    assertEquals("", written(ch), "no resend or timeout after the answer");
    ch.checkException();
    assertTrue(ch.isActive());
    ch.finishAndReleaseAll();
  }

  @Test
  void resendsWithFreshNoncesAndAcceptsOnlyTheLatestAnswer() {
    Recorder next = new Recorder();
    Iterator<String> nonces = List.of(N1, N2, N3).iterator();
    HelloHandler hello =
        new HelloHandler(next, Duration.ofSeconds(10), Duration.ofMillis(500), nonces::next)
            .withoutNegotiationEvent();
    EmbeddedChannel ch = channel(hello);
    assertEquals("VMINITD-HELLO " + N1 + "\n", written(ch));
    ch.advanceTimeBy(499, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals("", written(ch));
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals("VMINITD-HELLO " + N2 + "\n", written(ch), "resent after 500 ms");
    ch.advanceTimeBy(999, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals("", written(ch), "backoff doubles");
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertEquals("VMINITD-HELLO " + N3 + "\n", written(ch));

    // The guest answers the first two hellos (each followed by its session's first bytes), then
    // the third: only what follows the third answer belongs to this connection.
    ch.writeInbound(ascii("VMINITD-READY " + N1 + "\nSETTINGS-1"));
    ch.writeInbound(ascii("VMINITD-READY " + N2 + "\nSETTINGS-2"));
    assertEquals(0, next.bytes.size());
    ch.writeInbound(ascii("VMINITD-READY " + N3 + "\nSETTINGS-3"));
    assertEquals("SETTINGS-3", next.bytes.toString(StandardCharsets.US_ASCII));
    ch.checkException();
    ch.finishAndReleaseAll();
  }

  @Test
  void failsWithUnavailableWhenTheGuestNeverAnswers() {
    Recorder next = new Recorder();
    HelloHandler hello =
        new HelloHandler(next, Duration.ofSeconds(3), Duration.ofMillis(500), HelloHandler::randomNonce)
            .withoutNegotiationEvent();
    EmbeddedChannel ch = channel(hello);
    String first = written(ch);
    assertTrue(first.matches("VMINITD-HELLO [0-9a-f]{32}\n"), first);
    ch.writeInbound(ascii("stale output of an earlier session\n"));
    for (long step : new long[] {500, 1000, 1499}) {
      ch.advanceTimeBy(step, TimeUnit.MILLISECONDS);
      ch.runScheduledPendingTasks();
      ch.checkException();
    }
    List<String> hellos = written(ch).lines().toList();
    assertEquals(2, hellos.size(), "resent at 0.5 s and 1.5 s: " + hellos);
    assertFalse(hellos.contains(first.strip()), "every hello has a fresh nonce");
    assertEquals(2, hellos.stream().distinct().count());
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, ch::checkException);
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("guest agent did not answer the hello within 3 s", e.getStatus().getDescription());
    assertFalse(ch.isOpen(), "the connection is closed");
    assertEquals(0, next.bytes.size());
    ch.finishAndReleaseAll();
  }

  @Test
  void handsGrpcItsNegotiationEventAndChannelActiveBeforeTheFirstBytes() {
    Recorder next = new Recorder();
    HelloHandler hello =
        new HelloHandler(next, Duration.ofSeconds(10), Duration.ofSeconds(1), () -> N1);
    EmbeddedChannel ch = channel(hello);
    written(ch);
    Object event = InternalProtocolNegotiationEvent.getDefault();
    ch.pipeline().fireUserEventTriggered(event);
    ch.pipeline().fireChannelActive();
    assertEquals(List.of(), next.events);
    assertEquals(0, next.active);
    ch.writeInbound(ascii("VMINITD-READY " + N1 + "\nPRI"));
    assertEquals(List.of(event), next.events);
    assertEquals(1, next.active);
    assertEquals("PRI", next.bytes.toString(StandardCharsets.US_ASCII));
    assertNull(ch.pipeline().get(HelloHandler.class));
    ch.checkException();
    ch.finishAndReleaseAll();
  }

  @Test
  void anAnswerBeforeTheNegotiationEventIsHeldUntilItArrives() {
    Recorder next = new Recorder();
    HelloHandler hello =
        new HelloHandler(next, Duration.ofSeconds(10), Duration.ofSeconds(1), () -> N1);
    EmbeddedChannel ch = channel(hello);
    written(ch);
    ch.writeInbound(ascii("VMINITD-READY " + N1 + "\nab"));
    ch.writeInbound(ascii("cd"));
    assertEquals(0, next.bytes.size());
    Object event = InternalProtocolNegotiationEvent.getDefault();
    ch.pipeline().fireUserEventTriggered(event);
    assertEquals(List.of(event), next.events);
    assertEquals("abcd", next.bytes.toString(StandardCharsets.US_ASCII));
    assertNotNull(ch.pipeline().get(Recorder.class));
    ch.checkException();
    ch.finishAndReleaseAll();
  }
}
