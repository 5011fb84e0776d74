package dev.linux.vm.internal;

import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The session hello of vminitd's agent port, done before HTTP/2 starts on a connection.
 *
 * <p>A virtio-serial port is one byte stream across host connections: what the guest wrote after
 * the previous host left is delivered to the next one. So each connection first writes {@code
 * VMINITD-HELLO <nonce>\n} and discards everything it reads up to and including {@code
 * VMINITD-READY <nonce>\n}; the bytes after that line are the start of the guest's HTTP/2 session.
 * Only then is {@code next} (gRPC's negotiation handler) put in this handler's place, given the
 * pending protocol negotiation event and channel-active event, and handed those bytes.
 *
 * <p>A hello can be swallowed by a guest that has not yet noticed the previous host leave (it is
 * then read as part of an old HTTP/2 frame), so the hello is sent again, with backoff, until the
 * guest answers. Every hello carries a fresh nonce and only the answer to the latest one counts:
 * the guest answers every hello it sees, in order, and each answer begins a new guest session, so
 * an answer to an earlier hello is followed by bytes of a session that the later hello ends.
 * Nothing is written after a hello until its answer arrives (gRPC's writes wait behind this
 * handler), so the guest never mistakes our HTTP/2 bytes for its own framing.
 */
final class HelloHandler extends ChannelInboundHandlerAdapter {
  static final String HELLO_PREFIX = "VMINITD-HELLO ";
  static final String READY_PREFIX = "VMINITD-READY ";
  static final Duration FIRST_RESEND = Duration.ofMillis(500);
  static final Duration MAX_RESEND = Duration.ofSeconds(2);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ChannelHandler next;
  private final Duration timeout;
  private final Duration firstResend;
  private final Supplier<String> nonces;

  private boolean started;
  private boolean activeSeen;
  private Object negotiationEvent;
  private byte[] ready; // the answer expected to the latest hello
  private int matched; // bytes of `ready` matched at the end of the input so far
  private long discarded;
  private Duration resendDelay;
  private ScheduledFuture<?> resendTask;
  private ScheduledFuture<?> deadlineTask;
  private boolean answered;
  private ByteBuf rest; // input after the answer, held until the negotiation event arrives
  private boolean finished;
  private boolean expectsNegotiationEvent = true;

  HelloHandler(ChannelHandler next, Duration timeout) {
    this(next, timeout, FIRST_RESEND, HelloHandler::randomNonce);
  }

  HelloHandler(ChannelHandler next, Duration timeout, Duration firstResend, Supplier<String> nonces) {
    this.next = Objects.requireNonNull(next, "next");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.firstResend = Objects.requireNonNull(firstResend, "firstResend");
    this.nonces = Objects.requireNonNull(nonces, "nonces");
  }

  /** 32 lowercase hex digits from a secure random source. */
  static String randomNonce() {
    byte[] raw = new byte[16];
    RANDOM.nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }

  /** For use without gRPC (tests): complete on the answer alone, with no negotiation event. */
  HelloHandler withoutNegotiationEvent() {
    expectsNegotiationEvent = false;
    return this;
  }

  /** How many bytes were discarded before the answer (leftovers of earlier sessions). */
  long discarded() {
    return discarded;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      start(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    activeSeen = true; // passed on to `next` once it is in place
    start(ctx);
  }

  private void start(ChannelHandlerContext ctx) {
    if (started) {
      return;
    }
    started = true;
    resendDelay = firstResend;
    sendHello(ctx);
    deadlineTask =
        ctx.executor().schedule(() -> fail(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void sendHello(ChannelHandlerContext ctx) {
    String nonce = nonces.get();
    ready = (READY_PREFIX + nonce + "\n").getBytes(StandardCharsets.US_ASCII);
    matched = 0;
    ctx.writeAndFlush(
        Unpooled.copiedBuffer(HELLO_PREFIX + nonce + "\n", StandardCharsets.US_ASCII));
    resendTask =
        ctx.executor()
            .schedule(() -> resend(ctx), resendDelay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void resend(ChannelHandlerContext ctx) {
    if (answered || finished || !ctx.channel().isActive()) {
      return;
    }
    Duration doubled = resendDelay.multipliedBy(2);
    resendDelay = doubled.compareTo(MAX_RESEND) > 0 ? MAX_RESEND : doubled;
    sendHello(ctx);
  }

  private void fail(ChannelHandlerContext ctx) {
    if (answered || finished) {
      return;
    }
    finished = true;
    cancelTimers();
    long seconds = Math.max(1, Math.round(timeout.toMillis() / 1000.0));
    ctx.fireExceptionCaught(
        Status.UNAVAILABLE
            .withDescription("guest agent did not answer the hello within " + seconds + " s")
            .asRuntimeException());
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (negotiationEvent == null && isNegotiationEvent(evt)) {
      negotiationEvent = evt;
      if (answered) {
        complete(ctx);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** gRPC's ProtocolNegotiationEvent (its class is public but not constructible here). */
  static boolean isNegotiationEvent(Object evt) {
    return evt != null
        && evt.getClass()
            == io.grpc.netty.InternalProtocolNegotiationEvent.getDefault().getClass();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (finished) {
      in.release();
      return;
    }
    if (answered) {
      rest = rest == null ? in : Unpooled.wrappedBuffer(rest, in);
      return;
    }
    int start = in.readerIndex();
    int end = in.writerIndex();
    int found = -1;
    for (int i = start; i < end; i++) {
      byte b = in.getByte(i);
      if (b == ready[matched]) {
        if (++matched == ready.length) {
          found = i;
          break;
        }
      } else {
        // 'V' occurs in the ready line only as its first byte, so a mismatch can restart a
        // match only there.
        matched = b == ready[0] ? 1 : 0;
      }
    }
    if (found < 0) {
      discarded += end - start;
      in.release();
      return;
    }
    discarded += found + 1 - start - ready.length;
    answered = true;
    cancelTimers();
    in.readerIndex(found + 1);
    rest = in;
    if (negotiationEvent != null || !expectsNegotiationEvent) {
      complete(ctx);
    }
  }

  /** Puts {@code next} in this handler's place and hands it the events and bytes held back. */
  private void complete(ChannelHandlerContext ctx) {
    finished = true;
    ByteBuf data = rest;
    rest = null;
    ctx.pipeline().replace(this, null, next);
    if (negotiationEvent != null) {
      ctx.fireUserEventTriggered(negotiationEvent);
    }
    if (activeSeen) {
      ctx.fireChannelActive();
    }
    if (data != null && data.isReadable()) {
      ctx.fireChannelRead(data);
      ctx.fireChannelReadComplete();
    } else if (data != null) {
      data.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelTimers();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimers();
    if (rest != null) {
      rest.release();
      rest = null;
    }
  }

  private void cancelTimers() {
    if (resendTask != null) {
      resendTask.cancel(false);
      resendTask = null;
    }
    if (deadlineTask != null) {
      deadlineTask.cancel(false);
      deadlineTask = null;
    }
  }
}
