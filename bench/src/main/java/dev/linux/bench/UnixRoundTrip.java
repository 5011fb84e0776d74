package dev.linux.bench;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor for any JVM client of the daemon: a minimal Java program that connects to a Unix
 * socket, sends one byte and waits for the answer. {@code serve SOCKET} answers such calls (one
 * byte back per byte) until killed; {@code call SOCKET} is the client whose whole run is timed.
 * It depends on nothing but the JDK, so it starts as fast as a JVM can say hello.
 */
public final class UnixRoundTrip {

  private UnixRoundTrip() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: UnixRoundTrip serve|call SOCKET");
      System.exit(2);
    }
    Path socket = Path.of(args[1]);
    if (args[0].equals("serve")) {
      Files.deleteIfExists(socket);
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(socket));
        while (true) {
          SocketChannel client = server.accept();
          Thread.ofPlatform().daemon().start(() -> echo(client));
        }
      }
    }
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      channel.write(ByteBuffer.wrap(new byte[] {42}));
      ByteBuffer answer = ByteBuffer.allocate(1);
      if (channel.read(answer) != 1) {
        throw new IllegalStateException("no answer from " + socket);
      }
    }
  }

  private static void echo(SocketChannel client) {
    try (client) {
      ByteBuffer buffer = ByteBuffer.allocate(64);
      while (client.read(buffer.clear()) > 0) {
        client.write(buffer.flip());
      }
    } catch (java.io.IOException e) {
      // the client went away
    }
  }
}
