package dev.linux.vm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.AgentException;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hello through the real client stack, against a socket whose peer never answers. */
class HelloTimeoutTest {
  @TempDir Path dir;

  @Test
  void connectFailsWithUnavailableWhenTheHelloIsNotAnswered() throws Exception {
    Path socket = dir.resolve("agent.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<String> received =
          CompletableFuture.supplyAsync(
              () -> {
                try (SocketChannel peer = server.accept()) {
                  // Stale output of an earlier session, then silence; record what the client sends.
                  peer.write(ByteBuffer.wrap("stale bytes\n".getBytes(StandardCharsets.US_ASCII)));
                  ByteArrayOutputStream in = new ByteArrayOutputStream();
                  ByteBuffer buf = ByteBuffer.allocate(4096);
                  while (peer.read(buf) > 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                  }
                  return in.toString(StandardCharsets.US_ASCII);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      long t0 = System.nanoTime();
      AgentException e =
          assertThrows(
              AgentException.class,
              () ->
                  GrpcGuestAgent.connect(
                      socket, dir.resolve("agent.lock"), Duration.ofSeconds(1), Duration.ofSeconds(2),
                      notice -> {}));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(AgentException.Code.UNAVAILABLE, e.code());
      assertEquals("guest agent did not answer the hello within 2 s", e.getMessage());
      assertTrue(millis >= 1900 && millis < 8000, millis + " ms");
      String sent = received.get(10, TimeUnit.SECONDS);
      // The first hello and resends at 0.5 s and 1.5 s, each with its own nonce; no HTTP/2 bytes.
      assertTrue(sent.matches("(VMINITD-HELLO [0-9a-f]{32}\n){3}"), sent);
      assertEquals(3, sent.lines().distinct().count());
      Files.deleteIfExists(socket);
    }
  }
}
