package dev.linux.env.daemon;

import java.util.Locale;
import java.util.Objects;

/**
 * One row of an environment's port table ({@code linux ports}): a guest port and where the host
 * serves it, or why it does not.
 *
 * @param protocol {@code tcp} or {@code udp}
 * @param guestPort the port a guest process listens on
 * @param hostAddress where the host serves it ({@code 127.77.x.y} or {@code 127.0.0.1}); null when
 *     it is not forwarded at all (loopback-only, ignored, forwarding off)
 * @param hostPort the host's port (the guest's), 0 when {@code hostAddress} is null
 * @param state what became of it
 * @param detail QEMU's message when the host port was taken; else empty
 */
public record ForwardedPort(String protocol, int guestPort, String hostAddress, int hostPort, State state, String detail) {

  /** What became of a guest port on one host address. */
  public enum State {
    /** Connections to the host address reach the guest. */
    FORWARDED,
    /** Something else on the host holds the port on that address (another program, another environment). */
    TAKEN,
    /** The guest listens on its own loopback only, which nothing outside the guest can reach. */
    LOOPBACK_ONLY,
    /** The port is in the environment's {@code ignorePorts}. */
    IGNORED,
    /** The environment's {@code forwardPorts} is false. */
    OFF;

    /** How {@code linux ports} prints it: {@code forwarded}, {@code host port taken}, ... */
    public String label() {
      return switch (this) {
        case FORWARDED -> "forwarded";
        case TAKEN -> "host port taken";
        case LOOPBACK_ONLY -> "loopback-only";
        case IGNORED -> "ignored";
        case OFF -> "forwarding off";
      };
    }

    /** The state whose {@link #name()} (any case) is {@code name}. */
    static State named(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  public ForwardedPort {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(state, "state");
    detail = detail == null ? "" : detail;
  }

  /** A guest port no host address serves. */
  static ForwardedPort unforwarded(String protocol, int guestPort, State state) {
    return new ForwardedPort(protocol, guestPort, null, 0, state, "");
  }

  /** {@code 127.77.0.1:8080}, or {@code -}. */
  public String host() {
    return hostAddress == null ? "-" : hostAddress + ":" + hostPort;
  }
}
