package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmSpecTest {
  private static VmSpec spec(String name, int cpus, long memory, String hostname, List<String> args) {
    return new VmSpec(
        name, Path.of("/k"), Path.of("/i"), Path.of("/d"), cpus, memory, Accelerator.TCG,
        Path.of("/run/x"), Path.of("/c.log"), hostname, args);
  }

  private static IllegalArgumentException invalid(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void validSpecNormalizesPathsAndCopiesArgs() {
    List<String> args = new ArrayList<>(List.of("a=b"));
    VmSpec s =
        new VmSpec("dev-1.x", Path.of("rel/k"), Path.of("/i/../i2"), Path.of("/d"), 4,
            4096 * VmSpec.MIB, Accelerator.KVM, Path.of("/run/x"), Path.of("/c"), "dev.local", args);
    args.add("c=d");
    assertEquals(List.of("a=b"), s.kernelArgs());
    assertTrue(s.kernel().isAbsolute());
    assertEquals(Path.of("/i2"), s.initrd());
    assertEquals(4096, s.memoryMib());
    assertEquals(Path.of("/run/x/agent.sock"), s.agentSocket());
    assertEquals(Path.of("/run/x/qmp.sock"), s.qmpSocket());
    assertEquals(Path.of("/run/x/qemu.pid"), s.pidFile());
  }

  @Test
  void sharesAreKeptByTheClockHintAndTagsAreUnique() {
    VmSpec s = spec("dev", 1, 256 * VmSpec.MIB, "dev", List.of());
    assertEquals(List.of(), s.shares());
    VirtiofsMount a = new VirtiofsMount("fs0", Path.of("/r/fs0.sock"), "/home/u", false);
    VmSpec shared = s.withShares(List.of(a));
    assertEquals(List.of(a), shared.shares());
    assertEquals(List.of(a), HostClock.withTscHint(shared, java.util.OptionalLong.of(2000000)).shares());
    invalid(() -> s.withShares(List.of(a, new VirtiofsMount("fs0", Path.of("/r/x.sock"), "/x", true))));
    invalid(() -> new VirtiofsMount("bad tag", Path.of("/r/s"), "/x", false));
    invalid(() -> new VirtiofsMount("t".repeat(37), Path.of("/r/s"), "/x", false));
    invalid(() -> new VirtiofsMount("t", Path.of("/r/s"), "x", false));
    invalid(() -> new VirtiofsMount("t", Path.of("/r/s"), "/a\nb", false));
    assertEquals("linux.share=t:/a%01b%25:ro",
        new VirtiofsMount("t", Path.of("/r/s"), "/a\u0001b%", true).kernelArg());
  }

  @Test
  void rejectsBadNames() {
    for (String name : List.of("", "-x", "a b", "a/b", "x".repeat(65))) {
      assertTrue(invalid(() -> spec(name, 1, 512 * VmSpec.MIB, "h", List.of())).getMessage()
          .contains("invalid VM name"), name);
    }
  }

  @Test
  void rejectsBadResources() {
    invalid(() -> spec("a", 0, 512 * VmSpec.MIB, "h", List.of()));
    invalid(() -> spec("a", 257, 512 * VmSpec.MIB, "h", List.of()));
    invalid(() -> spec("a", 1, 32 * VmSpec.MIB, "h", List.of()));
    invalid(() -> spec("a", 1, 512 * VmSpec.MIB + 1, "h", List.of()));
  }

  @Test
  void rejectsBadHostnames() {
    for (String h : List.of("", "-a", "a_b", "a..b", "a b", "x".repeat(64))) {
      invalid(() -> spec("a", 1, 512 * VmSpec.MIB, h, List.of()));
    }
  }

  @Test
  void rejectsKernelArgsWithWhitespace() {
    invalid(() -> spec("a", 1, 512 * VmSpec.MIB, "h", List.of("a b")));
    invalid(() -> spec("a", 1, 512 * VmSpec.MIB, "h", List.of("")));
  }

  @Test
  void rejectsNulls() {
    assertThrows(NullPointerException.class,
        () -> new VmSpec("a", null, Path.of("/i"), Path.of("/d"), 1, 512 * VmSpec.MIB,
            Accelerator.TCG, Path.of("/r"), Path.of("/c"), "h", List.of()));
  }

  @Test
  void networkDefaultsToUserAndCanBeSwitchedOff() {
    VmSpec user = spec("a", 1, 512 * VmSpec.MIB, "h", List.of());
    assertEquals(NetworkMode.USER, user.network());
    VmSpec none = user.withNetwork(NetworkMode.NONE);
    assertEquals(NetworkMode.NONE, none.network());
    assertEquals(user.kernelArgs(), none.kernelArgs());
    assertEquals("linux.net=user", NetworkMode.USER.kernelArg());
    assertEquals("", NetworkMode.NONE.kernelArg());
    assertThrows(NullPointerException.class, () -> user.withNetwork(null));
  }

  @Test
  void theNetworkIsNotChosenThroughKernelArgs() {
    assertTrue(invalid(() -> spec("a", 1, 512 * VmSpec.MIB, "h", List.of("linux.net=none")))
        .getMessage().contains("network mode"));
  }

  @Test
  void macAddressIsStablePerNameAndLocallyAdministered() {
    String mac = spec("dev", 1, 512 * VmSpec.MIB, "h", List.of()).macAddress();
    assertTrue(mac.matches("52:54:00(:[0-9a-f]{2}){3}"), mac);
    assertEquals(mac, spec("dev", 2, 1024 * VmSpec.MIB, "other", List.of()).macAddress());
    assertNotEquals(mac, spec("dev2", 1, 512 * VmSpec.MIB, "h", List.of()).macAddress());
    int first = Integer.parseInt(mac.substring(0, 2), 16);
    assertEquals(2, first & 0x03, "locally administered (bit 1) and unicast (bit 0 clear)");
  }
}
