package dev.linux.vm;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One port of the host forwarded into the guest by QEMU's user-mode network ({@code hostfwd}):
 * connections to {@code hostAddress:hostPort} on the host reach the guest's {@code
 * 10.0.2.15:guestPort}. Added and removed at run time with {@link VirtualMachine#addHostForward}
 * and {@link VirtualMachine#removeHostForward}.
 *
 * @param protocol {@code tcp} or {@code udp}
 * @param hostAddress a literal IPv4 address of the host, e.g. {@code 127.77.0.1}
 */
public record HostForward(String protocol, String hostAddress, int hostPort, int guestPort) {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  public HostForward {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(hostAddress, "hostAddress");
    if (!protocol.equals("tcp") && !protocol.equals("udp")) {
      throw new IllegalArgumentException("protocol must be tcp or udp, not '" + protocol + "'");
    }
    // The monitor parses the rule with ':' and '-' as separators: only a literal address is safe.
    if (!IPV4.matcher(hostAddress).matches()) {
      throw new IllegalArgumentException("host address must be a literal IPv4 address, not '" + hostAddress + "'");
    }
    checkPort(hostPort);
    checkPort(guestPort);
  }

  /** The monitor command adding this forward on netdev {@code netdev}. */
  String addCommand(String netdev) {
    return "hostfwd_add " + netdev + " " + protocol + ":" + hostAddress + ":" + hostPort + "-:" + guestPort;
  }

  /** The monitor command removing it. */
  String removeCommand(String netdev) {
    return "hostfwd_remove " + netdev + " " + protocol + ":" + hostAddress + ":" + hostPort;
  }

  /** How users read it: {@code tcp 127.77.0.1:8080 -> 8080}. */
  @Override
  public String toString() {
    return protocol + " " + hostAddress + ":" + hostPort + " -> " + guestPort;
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535, not " + port);
    }
  }
}
