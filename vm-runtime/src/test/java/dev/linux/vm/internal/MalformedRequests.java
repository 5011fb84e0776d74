package dev.linux.vm.internal;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Sends what a well-behaved client never would, for the VM tests of vminitd's robustness. */
public final class MalformedRequests {
  private MalformedRequests() {}

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };

  /**
   * Calls {@code method} (e.g. {@code linux.agent.v1.GuestAgent/Ping}) with {@code body} as the
   * serialized request and returns the resulting status (OK when it was answered).
   */
  public static Status rawUnary(Path socket, String method, byte[] body) {
    ManagedChannel channel = AgentTransport.channel(socket, Duration.ofSeconds(10));
    try {
      MethodDescriptor<byte[], byte[]> md =
          MethodDescriptor.<byte[], byte[]>newBuilder()
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(method)
              .setRequestMarshaller(RAW)
              .setResponseMarshaller(RAW)
              .build();
      ClientCalls.blockingUnaryCall(
          channel, md, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), body);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Connects to the agent socket, says hello, and then writes an HTTP/2 preface followed by
   * garbage frames (unknown types, a frame header claiming 16 MiB, random bytes); then hangs up.
   */
  public static void garbageFrames(Path socket, long seed) throws IOException, InterruptedException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      byte[] nonce = new byte[16];
      new Random(seed).nextBytes(nonce);
      ch.write(ByteBuffer.wrap(("VMINITD-HELLO " + HexFormat.of().formatHex(nonce) + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer junk = ByteBuffer.allocate(64 * 1024);
      junk.put("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      junk.put(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // empty SETTINGS
      junk.put(new byte[] {0, 0, 100, (byte) 0xee, 0, 0, 0, 0, 1}); // unknown frame type
      byte[] random = new byte[100];
      new Random(seed + 1).nextBytes(random);
      junk.put(random);
      junk.put(new byte[] {0, 0, 20, 1, 4, 0, 0, 0, 1}); // HEADERS with a garbage HPACK block
      new Random(seed + 2).nextBytes(random);
      junk.put(random, 0, 20);
      junk.put(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 3}); // 16 MiB DATA
      byte[] rest = new byte[junk.remaining()];
      new Random(seed + 3).nextBytes(rest);
      junk.put(rest);
      junk.flip();
      while (junk.hasRemaining()) {
        ch.write(junk);
      }
      Thread.sleep(500);
    }
  }

  /** Connects and writes random bytes without any hello or preface, then hangs up. */
  public static void garbageBytes(Path socket, long seed) throws IOException, InterruptedException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      byte[] junk = new byte[32 * 1024];
      new Random(seed).nextBytes(junk);
      ch.write(ByteBuffer.wrap(junk));
      Thread.sleep(500);
    }
  }
}
