package dev.linux.vm;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** Something that happened in the guest, as {@link GuestAgent#events} reports it. */
public sealed interface GuestEvent {
  /** The guest's wall clock when the agent saw it. */
  Instant time();

  /**
   * A listening socket opened or closed: TCP in LISTEN state, or a bound unconnected UDP socket.
   * The ports open when the subscription starts are reported first, as opened.
   *
   * @param protocol {@code "tcp"} or {@code "udp"}
   * @param ipv6 whether it is an IPv6 socket
   * @param address the bound address, e.g. {@code 0.0.0.0}, {@code 127.0.0.1}, {@code ::}
   */
  record PortChanged(Instant time, String protocol, boolean ipv6, String address, int port, boolean open)
      implements GuestEvent {
    public PortChanged {
      Objects.requireNonNull(time);
      Objects.requireNonNull(protocol);
      Objects.requireNonNull(address);
    }
  }

  /** The kernel's OOM killer ended a process; {@code message} is the kernel log line. */
  record OomKilled(Instant time, int pid, String command, String message) implements GuestEvent {
    public OomKilled {
      Objects.requireNonNull(time);
      Objects.requireNonNull(command);
      Objects.requireNonNull(message);
    }
  }

  /**
   * A process started through {@link GuestAgent#exec} ended.
   *
   * @param status the exit code, or 128 + signal
   * @param signal the terminating signal, 0 for a normal exit
   */
  record ProcessExited(Instant time, int pid, int status, int signal, List<String> args)
      implements GuestEvent {
    public ProcessExited {
      Objects.requireNonNull(time);
      args = List.copyOf(args);
    }
  }
}
