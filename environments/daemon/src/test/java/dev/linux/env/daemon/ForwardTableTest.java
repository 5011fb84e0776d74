package dev.linux.env.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.NetworkSettings;
import dev.linux.vm.HostForward;
import dev.linux.vm.NetworkMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The forward table's states: open, close, taken, loopback-only, ignored, off, retried. */
class ForwardTableTest {

  private static final String OWN = "127.77.0.4";

  /** A host whose forwards live in a set, with ports someone else holds. */
  static final class FakeHost implements ForwardTable.Host {
    final Set<String> forwards = new HashSet<>();
    final Set<String> takenByOthers = new HashSet<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public void add(HostForward f) throws Exception {
      calls.add("add " + f);
      String key = f.protocol() + " " + f.hostAddress() + ":" + f.hostPort();
      if (takenByOthers.contains(key) || !forwards.add(key)) {
        throw new Exception("Could not set up host forwarding rule '" + f.protocol() + ":" + f.hostAddress() + ":" + f.hostPort() + "-:" + f.guestPort() + "'");
      }
    }

    @Override
    public void remove(HostForward f) {
      calls.add("remove " + f);
      forwards.remove(f.protocol() + " " + f.hostAddress() + ":" + f.hostPort());
    }
  }

  private final FakeHost host = new FakeHost();
  private final List<String> log = new ArrayList<>();
  private final ForwardTable table = new ForwardTable(OWN, NetworkSettings.DEFAULTS, host, log::add);

  @Test
  void aListeningPortIsForwardedOnTheOwnAddressAndLoopbackUntilItCloses() {
    table.portChanged("tcp", "0.0.0.0", 8080, true);
    assertEquals(Set.of("tcp 127.77.0.4:8080", "tcp 127.0.0.1:8080"), host.forwards);
    assertEquals(List.of("tcp 8080 127.77.0.4:8080 forwarded", "tcp 8080 127.0.0.1:8080 forwarded"), rows());

    table.portChanged("tcp", "0.0.0.0", 8080, false);
    assertEquals(Set.of(), host.forwards);
    assertEquals(List.of(), rows());
    assertTrue(log.contains("removed tcp 127.0.0.1:8080 -> 8080"), log.toString());
  }

  @Test
  void ipv4AndIpv6ListenersShareOneForwardUntilTheLastCloses() {
    table.portChanged("tcp", "0.0.0.0", 80, true);
    table.portChanged("tcp", "::", 80, true);
    assertEquals(2, host.calls.size(), "one add per host address, not per guest socket");
    table.portChanged("tcp", "0.0.0.0", 80, false);
    assertEquals(2, host.forwards.size());
    table.portChanged("tcp", "::", 80, false);
    assertEquals(Set.of(), host.forwards);
  }

  @Test
  void aTakenHostPortIsReportedAndTheOtherAddressStillServes() {
    host.takenByOthers.add("tcp 127.0.0.1:3000");
    table.portChanged("tcp", "0.0.0.0", 3000, true);
    assertEquals(Set.of("tcp 127.77.0.4:3000"), host.forwards);
    assertEquals(List.of("tcp 3000 127.77.0.4:3000 forwarded", "tcp 3000 127.0.0.1:3000 host port taken"), rows());
    assertTrue(table.hasTaken());
    assertTrue(log.stream().anyMatch(l -> l.startsWith("cannot forward tcp 127.0.0.1:3000 -> 3000: host port taken")), log.toString());

    table.retryTaken(); // still taken: reported once, not again
    assertEquals(1, log.stream().filter(l -> l.startsWith("cannot forward")).count(), log.toString());

    host.takenByOthers.clear(); // the other holder let go: first come, first served
    table.retryTaken();
    assertEquals(Set.of("tcp 127.77.0.4:3000", "tcp 127.0.0.1:3000"), host.forwards);
    assertEquals(false, table.hasTaken());

    table.portChanged("tcp", "0.0.0.0", 3000, false);
    assertEquals(Set.of(), host.forwards);
  }

  @Test
  void aTakenPortThatClosesLeavesNothingBehind() {
    host.takenByOthers.add("tcp 127.0.0.1:3000");
    host.takenByOthers.add("tcp 127.77.0.4:3000");
    table.portChanged("tcp", "0.0.0.0", 3000, true);
    table.portChanged("tcp", "0.0.0.0", 3000, false);
    assertEquals(List.of(), rows());
    assertEquals(0, host.calls.stream().filter(c -> c.startsWith("remove")).count(), "nothing was added, nothing to remove");
  }

  @Test
  void loopbackOnlyListenersAreListedNotForwarded() {
    table.portChanged("tcp", "127.0.0.1", 5432, true);
    table.portChanged("udp", "::1", 5353, true);
    assertEquals(List.of("udp 5353 - loopback-only", "tcp 5432 - loopback-only"), rows());
    assertEquals(List.of(), host.calls);
    // the same port then opened on all addresses is forwarded
    table.portChanged("tcp", "0.0.0.0", 5432, true);
    assertEquals(Set.of("tcp 127.77.0.4:5432", "tcp 127.0.0.1:5432"), host.forwards);
    assertTrue(log.stream().anyMatch(l -> l.contains("5432 not forwarded: loopback-only")), log.toString());
  }

  @Test
  void theGuestsOwnAddressCountsAsReachable() {
    table.portChanged("tcp", "10.0.2.15", 9000, true);
    assertEquals(2, host.forwards.size());
  }

  @Test
  void settingsApplyToPortsAlreadyOpen() {
    table.portChanged("tcp", "0.0.0.0", 22, true);
    table.portChanged("udp", "0.0.0.0", 9999, true);
    assertEquals(4, host.forwards.size());

    table.settings(new NetworkSettings(NetworkMode.USER, true, List.of(22)));
    assertEquals(Set.of("udp 127.77.0.4:9999", "udp 127.0.0.1:9999"), host.forwards);
    assertEquals(List.of("tcp 22 - ignored", "udp 9999 127.77.0.4:9999 forwarded", "udp 9999 127.0.0.1:9999 forwarded"), rows());

    table.settings(new NetworkSettings(NetworkMode.USER, false, List.of(22)));
    assertEquals(Set.of(), host.forwards);
    assertEquals(List.of("tcp 22 - forwarding off", "udp 9999 - forwarding off"), rows());

    table.settings(NetworkSettings.DEFAULTS);
    assertEquals(4, host.forwards.size());
  }

  @Test
  void clearRemovesEverything() {
    table.portChanged("tcp", "0.0.0.0", 1, true);
    table.portChanged("tcp", "0.0.0.0", 2, true);
    table.clear();
    assertEquals(Set.of(), host.forwards);
    assertEquals(List.of(), rows());
  }

  @Test
  void loopbackAddressesAreRecognised() {
    assertTrue(ForwardTable.isLoopback("127.0.0.1"));
    assertTrue(ForwardTable.isLoopback("127.1.2.3"));
    assertTrue(ForwardTable.isLoopback("::1"));
    assertTrue(ForwardTable.isLoopback("::ffff:127.0.0.1"));
    assertEquals(false, ForwardTable.isLoopback("0.0.0.0"));
    assertEquals(false, ForwardTable.isLoopback("::"));
    assertEquals(false, ForwardTable.isLoopback("10.0.2.15"));
  }

  private List<String> rows() {
    return table.rows().stream().map(r -> r.protocol() + " " + r.guestPort() + " " + r.host() + " " + r.state().label()).toList();
  }
}
