package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressAllocatorTest {

  @TempDir Path dir;

  @Test
  void firstFreeSkipsTakenAndNetworkAndBroadcastEnds() {
    assertEquals("127.77.0.1", AddressAllocator.firstFree(List.of()));
    assertEquals("127.77.0.3", AddressAllocator.firstFree(List.of("127.77.0.1", "127.77.0.2")));
    List<String> full = new ArrayList<>();
    for (int i = 1; i <= 254; i++) {
      full.add("127.77.0." + i);
    }
    assertEquals("127.77.1.1", AddressAllocator.firstFree(full), "never .255 or .0");
  }

  @Test
  void addressesOutsideTheRangeOrOnNetworkEndsAreRejected() {
    assertEquals(Optional.empty(), AddressAllocator.problem("127.77.3.9"));
    assertTrue(AddressAllocator.problem("127.0.0.1").isPresent());
    assertTrue(AddressAllocator.problem("127.77.0.0").isPresent());
    assertTrue(AddressAllocator.problem("127.77.1.255").isPresent());
    assertTrue(AddressAllocator.problem("127.77.256.1").isPresent());
    assertTrue(AddressAllocator.problem("127.77.01.1").isPresent());
    assertTrue(AddressAllocator.problem("127.77.1.1 ").isPresent());
  }

  @Test
  void recordsGetDistinctAddressesOnceAndCollisionsNameBoth() throws Exception {
    EnvironmentStore store = new EnvironmentStore(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")));
    EnvironmentRecord a = save(store, "a");
    EnvironmentRecord b = save(store, "b");
    EnvironmentRecord withA = AddressAllocator.ensure(store, a);
    EnvironmentRecord withB = AddressAllocator.ensure(store, b);
    assertEquals("127.77.0.1", withA.address());
    assertEquals("127.77.0.2", withB.address());
    assertEquals("127.77.0.1", store.get(new EnvName("a")).address(), "kept in env.json");
    assertEquals(withA, AddressAllocator.ensure(store, withA), "allocated once");

    // a hand-edited env.json repeating a's address
    EnvironmentRecord clash = withB.withAddress("127.77.0.1");
    store.save(clash);
    EnvException e = assertThrows(EnvException.class, () -> AddressAllocator.ensure(store, clash));
    assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("'a'") && e.getMessage().contains("127.77.0.1"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());

    EnvironmentRecord outside = withB.withAddress("10.0.0.1");
    assertThrows(EnvException.class, () -> AddressAllocator.ensure(store, outside));
    
  }

  private static EnvironmentRecord save(EnvironmentStore store, String name) {
    EnvironmentRecord r = new EnvironmentRecord(name, "busybox", "sha256:" + "0".repeat(64), Instant.EPOCH, 1, 256L << 20,
        1L << 30, ImageDefaults.NONE);
    return store.create(new EnvName(name), files -> r);
  }
}
