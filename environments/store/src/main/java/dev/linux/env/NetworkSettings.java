package dev.linux.env;

import dev.linux.vm.NetworkMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * How an environment is networked: its network ({@code user}: QEMU's user-mode network, outbound
 * and DNS; {@code none}: only {@code lo}), whether its listening ports are forwarded to the host
 * (the daemon does it), and the guest ports never forwarded. New environments take the defaults
 * from {@code linux.conf} ({@code network}, {@code forwardPorts}, {@code ignorePorts}); records
 * older than these settings read as the built-in defaults.
 *
 * @param ignorePorts sorted, without duplicates
 */
public record NetworkSettings(NetworkMode network, boolean forwardPorts, List<Integer> ignorePorts) {

  public static final NetworkSettings DEFAULTS = new NetworkSettings(NetworkMode.USER, true, List.of());

  public NetworkSettings {
    Objects.requireNonNull(network, "network");
    ignorePorts = List.copyOf(new TreeSet<>(ignorePorts));
    ignorePorts.forEach(p -> checkPort(p, "ignorePorts"));
  }

  /** Whether a guest port that listens should be forwarded under these settings. */
  public boolean forwards(int guestPort) {
    return network == NetworkMode.USER && forwardPorts && !ignorePorts.contains(guestPort);
  }

  /** How a network mode is written in records, configuration and on the command line. */
  public static String label(NetworkMode mode) {
    return mode.name().toLowerCase(Locale.ROOT);
  }

  /** {@code user} or {@code none}; {@code what} names the option or key in the error. */
  public static NetworkMode parseNetwork(String value, String what) {
    for (NetworkMode mode : NetworkMode.values()) {
      if (label(mode).equals(value)) {
        return mode;
      }
    }
    throw invalid(what + " must be user or none, not '" + value + "'");
  }

  /** {@code true} or {@code false}, nothing else. */
  public static boolean parseBoolean(String value, String what) {
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(what + " must be true or false, not '" + value + "'");
    };
  }

  /**
   * A comma-separated list of ports, e.g. {@code 22,5432}; an empty string is the empty list.
   * Each is a whole number from 1 to 65535.
   */
  public static List<Integer> parsePorts(String value, String what) {
    List<Integer> ports = new ArrayList<>();
    if (value.isBlank()) {
      return ports;
    }
    for (String part : value.split(",", -1)) {
      String p = part.strip();
      int port;
      try {
        port = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw invalid(what + ": '" + p + "' is not a port number (1-65535) in '" + value + "'");
      }
      checkPort(port, what);
      ports.add(port);
    }
    return ports;
  }

  static NetworkSettings fromRecord(String network, Boolean forwardPorts, List<Integer> ignorePorts) {
    return new NetworkSettings(
        network == null ? NetworkMode.USER : parseNetwork(network, "network in env.json"),
        forwardPorts == null || forwardPorts,
        ignorePorts == null ? List.of() : ignorePorts);
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw invalid(what + ": " + port + " is not a port number (1-65535)");
    }
  }

  private static EnvException invalid(String message) {
    return new EnvException(EnvException.Code.INVALID_ARGUMENT, message);
  }

  /**
   * A change to the network settings ({@code linux set}, {@code linux create}); what is empty stays
   * as it is.
   */
  public record Change(Optional<NetworkMode> network, Optional<Boolean> forwardPorts, Optional<List<Integer>> ignorePorts) {

    public static final Change NONE = new Change(Optional.empty(), Optional.empty(), Optional.empty());

    /**
     * Parses the command line's values (null: not given), so that a bad one fails before anything
     * is written: {@code --network user|none}, {@code --forward-ports true|false}, {@code
     * --ignore-ports 22,5432} (an empty string clears the list).
     */
    public static Change parse(String network, String forwardPorts, String ignorePorts) {
      return new Change(
          Optional.ofNullable(network).map(v -> parseNetwork(v, "--network")),
          Optional.ofNullable(forwardPorts).map(v -> parseBoolean(v, "--forward-ports")),
          Optional.ofNullable(ignorePorts).map(v -> parsePorts(v, "--ignore-ports")));
    }

    public boolean isEmpty() {
      return network.isEmpty() && forwardPorts.isEmpty() && ignorePorts.isEmpty();
    }

    public NetworkSettings applyTo(NetworkSettings current) {
      return new NetworkSettings(
          network.orElse(current.network()),
          forwardPorts.orElse(current.forwardPorts()),
          ignorePorts.orElse(current.ignorePorts()));
    }
  }
}
