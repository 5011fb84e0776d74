package dev.linux.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A minimal client of QEMU's machine protocol: enough to wait for the agent port, manage port
 * forwards and ask QEMU to quit. QEMU's monitor socket takes one client at a time (others wait in
 * its backlog), so every user connects, asks and closes.
 */
final class QmpClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;

  private QmpClient(SocketChannel channel) {
    this.channel = channel;
    this.in =
        new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    this.out = Channels.newOutputStream(channel);
  }

  static QmpClient connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
      QmpClient client = new QmpClient(channel);
      client.readGreeting();
      client.execute("qmp_capabilities");
      return client;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Runs a command and returns its {@code return} value; events in between are skipped. */
  JsonNode execute(String command) throws IOException {
    return execute(command, Map.of());
  }

  /**
   * Runs a human monitor command (there is no QMP command for {@code hostfwd_add}) and returns
   * what it printed; most print nothing on success and a message on failure.
   */
  String humanMonitorCommand(String commandLine) throws IOException {
    return execute("human-monitor-command", Map.of("command-line", commandLine)).asText().strip();
  }

  /**
   * Adds a host forward on the user-mode netdev {@code netdev}.
   *
   * @throws IOException with QEMU's message when it cannot (the host port is taken, most often)
   */
  void addHostForward(String netdev, HostForward forward) throws IOException {
    String printed = humanMonitorCommand(forward.addCommand(netdev));
    if (!printed.isEmpty()) {
      throw new IOException(printed.lines().findFirst().orElse(printed));
    }
  }

  /** Removes a host forward; false if QEMU had no such forward. */
  boolean removeHostForward(String netdev, HostForward forward) throws IOException {
    String printed = humanMonitorCommand(forward.removeCommand(netdev));
    if (printed.endsWith("removed")) {
      return true;
    }
    if (printed.endsWith("not found")) {
      return false;
    }
    throw new IOException(printed.isEmpty() ? "no answer to " + forward.removeCommand(netdev) : printed);
  }

  private JsonNode execute(String command, Map<String, Object> arguments) throws IOException {
    out.write(JSON.writeValueAsBytes(
        arguments.isEmpty() ? Map.of("execute", command) : Map.of("execute", command, "arguments", arguments)));
    out.write('\n');
    out.flush();
    while (true) {
      JsonNode reply = readMessage();
      if (reply.has("return")) {
        return reply.get("return");
      }
      if (reply.has("error")) {
        throw new IOException("QMP " + command + ": " + reply.get("error").path("desc").asText());
      }
    }
  }

  /** Whether the guest has opened the device behind chardev {@code label} (e.g. a serial port). */
  boolean isFrontendOpen(String label) throws IOException {
    for (JsonNode chardev : execute("query-chardev")) {
      if (label.equals(chardev.path("label").asText())) {
        return chardev.path("frontend-open").asBoolean(false);
      }
    }
    throw new IOException("QEMU has no chardev '" + label + "'");
  }

  private void readGreeting() throws IOException {
    if (!readMessage().has("QMP")) {
      throw new IOException("not a QMP socket");
    }
  }

  private JsonNode readMessage() throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("QMP connection closed");
    }
    return JSON.readTree(line);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
