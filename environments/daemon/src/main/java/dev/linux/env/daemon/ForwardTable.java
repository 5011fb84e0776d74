package dev.linux.env.daemon;

import dev.linux.env.NetworkSettings;
import dev.linux.vm.HostForward;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The port forwards of one environment, as a state machine driven by what the guest reports:
 * a port that a guest process listens on (on a wildcard or the guest's own address) is forwarded
 * on the environment's address and on {@code 127.0.0.1}, each when the host port is free there
 * (first come, first served; a taken one is reported, and tried again by {@link #retryTaken});
 * the forwards go when the last listener of the port closes, or when the settings stop
 * forwarding it. Not thread-safe: one thread drives it ({@link PortForwarder}).
 *
 * <p>Ports bound to the guest's loopback only are listed as such and not forwarded: QEMU's
 * user-mode network delivers forwarded connections to the guest's {@code 10.0.2.15}, which a
 * socket bound to {@code 127.0.0.1} inside never sees.
 */
final class ForwardTable {

  /** Where forwards are really made: QEMU's monitor, or a fake in tests. */
  interface Host {
    /** Adds the forward; throws with a one-line reason when the host port is taken. */
    void add(HostForward forward) throws Exception;

    void remove(HostForward forward) throws Exception;
  }

  static final String LOOPBACK = "127.0.0.1";

  private record GuestPort(String protocol, int port) {}

  private final String ownAddress;
  private final Host host;
  private final Consumer<String> log;
  private NetworkSettings settings;
  /** The guest's listening addresses per port. */
  private final Map<GuestPort, Set<String>> listeners = new TreeMap<>(
      Comparator.comparing(GuestPort::port).thenComparing(GuestPort::protocol));
  /** What each port has now: one row per host address, or one row saying why there is none. */
  private final Map<GuestPort, List<ForwardedPort>> rows = new LinkedHashMap<>();
  private volatile int takenCount;

  /**
   * @param ownAddress the environment's address ({@code 127.77.x.y}); null: only {@code 127.0.0.1}
   * @param log where forwards made, removed and refused are told (the daemon log)
   */
  ForwardTable(String ownAddress, NetworkSettings settings, Host host, Consumer<String> log) {
    this.ownAddress = ownAddress;
    this.settings = settings;
    this.host = host;
    this.log = log;
  }

  /** A guest socket started ({@code open}) or stopped listening. */
  void portChanged(String protocol, String address, int port, boolean open) {
    GuestPort key = new GuestPort(protocol, port);
    if (open) {
      listeners.computeIfAbsent(key, k -> new HashSet<>()).add(address);
    } else {
      Set<String> addresses = listeners.get(key);
      if (addresses != null) {
        addresses.remove(address);
        if (addresses.isEmpty()) {
          listeners.remove(key);
        }
      }
    }
    reconcile(key);
  }

  /** New settings (forwardPorts, ignorePorts): every port is looked at again. */
  void settings(NetworkSettings newSettings) {
    if (newSettings.equals(settings)) {
      return;
    }
    settings = newSettings;
    for (GuestPort key : new ArrayList<>(union())) {
      reconcile(key);
    }
  }

  /** Whether some host port was taken (read from another thread: a hint, never a decision). */
  boolean hasTaken() {
    return takenCount > 0;
  }

  /** Tries again the host ports that were taken (their holder may have let go). */
  void retryTaken() {
    for (GuestPort key : new ArrayList<>(rows.keySet())) {
      if (rows.get(key).stream().anyMatch(r -> r.state() == ForwardedPort.State.TAKEN)) {
        reconcile(key);
      }
    }
  }

  /** Removes every forward (the guest's listeners are forgotten too). */
  void clear() {
    listeners.clear();
    for (GuestPort key : new ArrayList<>(rows.keySet())) {
      reconcile(key);
    }
  }

  /** The table as {@code linux ports} shows it, by port. */
  List<ForwardedPort> rows() {
    return rows.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(Comparator.comparing(GuestPort::port).thenComparing(GuestPort::protocol)))
        .flatMap(e -> e.getValue().stream())
        .toList();
  }

  private Set<GuestPort> union() {
    Set<GuestPort> all = new HashSet<>(listeners.keySet());
    all.addAll(rows.keySet());
    return all;
  }

  private void reconcile(GuestPort key) {
    Set<String> addresses = listeners.getOrDefault(key, Set.of());
    List<ForwardedPort> before = rows.getOrDefault(key, List.of());
    List<ForwardedPort> after = new ArrayList<>();
    boolean reachable = addresses.stream().anyMatch(a -> !isLoopback(a));
    boolean wanted = reachable && settings.forwards(key.port());
    for (String hostAddress : hostAddresses()) {
      ForwardedPort current = find(before, hostAddress);
      boolean forwarded = current != null && current.state() == ForwardedPort.State.FORWARDED;
      HostForward forward = new HostForward(key.protocol(), hostAddress, key.port(), key.port());
      if (wanted && forwarded) {
        after.add(current);
      } else if (wanted) {
        after.add(add(forward, current));
      } else if (forwarded) {
        remove(forward);
      }
    }
    if (!addresses.isEmpty() && !wanted) {
      ForwardedPort.State why = !reachable ? ForwardedPort.State.LOOPBACK_ONLY
          : settings.forwardPorts() ? ForwardedPort.State.IGNORED : ForwardedPort.State.OFF;
      after.add(ForwardedPort.unforwarded(key.protocol(), key.port(), why));
      if (before.stream().noneMatch(r -> r.state() == why)) {
        log.accept("guest " + key.protocol() + " port " + key.port() + " not forwarded: " + why.label()
            + (why == ForwardedPort.State.LOOPBACK_ONLY ? " (listening on " + String.join(", ", addresses.stream().sorted().toList())
                + " inside; listen on 0.0.0.0 to reach it from the host)" : ""));
      }
    }
    if (after.isEmpty()) {
      rows.remove(key);
    } else {
      rows.put(key, List.copyOf(after));
    }
    takenCount = (int) rows.values().stream().flatMap(List::stream).filter(r -> r.state() == ForwardedPort.State.TAKEN).count();
  }

  private ForwardedPort add(HostForward forward, ForwardedPort previous) {
    try {
      host.add(forward);
      log.accept("forwarded " + forward);
      return new ForwardedPort(forward.protocol(), forward.guestPort(), forward.hostAddress(), forward.hostPort(),
          ForwardedPort.State.FORWARDED, "");
    } catch (Exception e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (previous == null || previous.state() != ForwardedPort.State.TAKEN) {
        log.accept("cannot forward " + forward + ": host port taken (" + reason + ")");
      }
      return new ForwardedPort(forward.protocol(), forward.guestPort(), forward.hostAddress(), forward.hostPort(),
          ForwardedPort.State.TAKEN, reason);
    }
  }

  private void remove(HostForward forward) {
    try {
      host.remove(forward);
      log.accept("removed " + forward);
    } catch (Exception e) {
      log.accept("cannot remove " + forward + ": " + e.getMessage());
    }
  }

  private List<String> hostAddresses() {
    return ownAddress == null ? List.of(LOOPBACK) : List.of(ownAddress, LOOPBACK);
  }

  private static ForwardedPort find(List<ForwardedPort> rows, String hostAddress) {
    return rows.stream().filter(r -> hostAddress.equals(r.hostAddress())).findFirst().orElse(null);
  }

  /** Whether a guest socket bound to {@code address} is reachable only from inside the guest. */
  static boolean isLoopback(String address) {
    return address.startsWith("127.") || address.equals("::1") || address.startsWith("::ffff:127.");
  }
}
