package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor commands for port forwards, and how QEMU's printed answers are read. */
class HostForwardTest {

  @TempDir Path dir;

  @Test
  void commandsAreWhatQemusMonitorParses() {
    HostForward f = new HostForward("tcp", "127.77.0.3", 8080, 8080);
    assertEquals("hostfwd_add net0 tcp:127.77.0.3:8080-:8080", f.addCommand(QemuCommandLine.NETDEV_ID));
    assertEquals("hostfwd_remove net0 tcp:127.77.0.3:8080", f.removeCommand(QemuCommandLine.NETDEV_ID));
    assertEquals("hostfwd_add net0 udp:127.0.0.1:53-:5353",
        new HostForward("udp", "127.0.0.1", 53, 5353).addCommand("net0"));
  }

  @Test
  void onlyLiteralAddressesAndValidPortsAreAccepted() {
    assertThrows(IllegalArgumentException.class, () -> new HostForward("sctp", "127.0.0.1", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HostForward("tcp", "localhost", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HostForward("tcp", "127.0.0.1:2-", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HostForward("tcp", "127.0.0.1", 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new HostForward("tcp", "127.0.0.1", 1, 70000));
  }

  @Test
  void qemusPrintedAnswersDecideSuccess() throws Exception {
    // Answers as QEMU 7.2 prints them (checked against the real monitor).
    List<String> answers = List.of(
        "",
        "Could not set up host forwarding rule 'tcp:127.0.0.1:80-:80'\\r\\n",
        "host forwarding rule for tcp:127.0.0.1:80 removed\\r\\n",
        "host forwarding rule for tcp:127.0.0.1:80 not found\\r\\n");
    List<String> received = new ArrayList<>();
    Path socket = dir.resolve("qmp.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread fake = Thread.ofVirtual().start(() -> serve(server, answers, received));
      HostForward f = new HostForward("tcp", "127.0.0.1", 80, 80);
      try (QmpClient qmp = QmpClient.connect(socket)) {
        qmp.addHostForward("net0", f);
        IOException taken = assertThrows(IOException.class, () -> qmp.addHostForward("net0", f));
        assertEquals("Could not set up host forwarding rule 'tcp:127.0.0.1:80-:80'", taken.getMessage());
        assertTrue(qmp.removeHostForward("net0", f));
        assertFalse(qmp.removeHostForward("net0", f));
      }
      fake.join();
    }
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    assertEquals(
        json.readTree("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"hostfwd_add net0 tcp:127.0.0.1:80-:80\"}}"),
        json.readTree(received.get(1)));
  }

  private static void serve(ServerSocketChannel server, List<String> answers, List<String> received) {
    try (SocketChannel c = server.accept()) {
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
      OutputStream out = Channels.newOutputStream(c);
      out.write("{\"QMP\": {\"version\": {}}}\n".getBytes(StandardCharsets.UTF_8));
      received.add(in.readLine());
      out.write("{\"return\": {}}\n".getBytes(StandardCharsets.UTF_8));
      for (String answer : answers) {
        received.add(in.readLine());
        out.write(("{\"return\": \"" + answer + "\"}\n").getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
