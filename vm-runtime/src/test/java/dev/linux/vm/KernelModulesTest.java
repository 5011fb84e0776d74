package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelModulesTest {
  // Synthetic, shaped like depmod's output: path, colon, the dependencies' paths.
  private static final String DEP =
      """
      kernel/drivers/virtio/virtio_ring.ko:
      kernel/drivers/virtio/virtio.ko:
      kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
      kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
      kernel/fs/fuse/fuse.ko:
      kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
      kernel/net/core/failover.ko:
      kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
      kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
      kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/char/hw_random/rng-core.ko kernel/drivers/virtio/virtio_ring.ko
      kernel/drivers/char/hw_random/rng-core.ko:
      kernel/drivers/a.ko: kernel/drivers/b.ko
      kernel/drivers/b.ko: kernel/drivers/a.ko
      kernel/drivers/c.ko: kernel/drivers/gone.ko
      kernel/drivers/z.ko.xz:
      """;
  private static final String BUILTIN = "kernel/drivers/char/virtio_console.ko\n";

  private static final KernelModules MODULES = KernelModules.parse(DEP, BUILTIN);

  @Test
  void dependenciesLoadFirstAndOnce() throws IOException {
    var r = MODULES.resolve(List.of("virtio_mmio", "virtio_blk", "virtiofs", "virtio_net"));
    List<String> names = r.loadOrder().stream().map(KernelModules::nameOf).toList();
    assertEquals(names.size(), names.stream().distinct().count(), "no duplicates: " + names);
    assertBefore(names, "virtio_ring", "virtio_mmio");
    assertBefore(names, "virtio", "virtio_mmio");
    assertBefore(names, "fuse", "virtiofs");
    assertBefore(names, "failover", "net_failover");
    assertBefore(names, "net_failover", "virtio_net");
    assertEquals(
        List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "fuse", "virtiofs", "failover",
            "net_failover", "virtio_net"),
        names);
    assertEquals("kernel/drivers/virtio/virtio_mmio.ko", r.loadOrder().get(2));
  }

  @Test
  void dashesAndUnderscoresAreTheSameName() throws IOException {
    var r = MODULES.resolve(List.of("virtio_rng"));
    assertEquals(
        List.of("kernel/drivers/char/hw_random/rng-core.ko", "kernel/drivers/virtio/virtio_ring.ko",
            "kernel/drivers/char/hw_random/virtio-rng.ko"),
        r.loadOrder());
  }

  @Test
  void builtinsNeedNothingAndUnknownsAreReported() throws IOException {
    var r = MODULES.resolve(List.of("virtio_console", "nine_p"));
    assertEquals(List.of(), r.loadOrder());
    assertEquals(List.of("virtio_console"), r.builtin());
    assertEquals(List.of("nine_p"), r.missing());
  }

  @Test
  void compressedModulesKeepTheirPath() throws IOException {
    assertEquals(List.of("kernel/drivers/z.ko.xz"), MODULES.resolve(List.of("z")).loadOrder());
    assertEquals("z", KernelModules.nameOf("kernel/drivers/z.ko.zst"));
  }

  @Test
  void cyclesAndMissingDependenciesFailClearly() {
    var cycle = assertThrows(IOException.class, () -> MODULES.resolve(List.of("a")));
    assertTrue(cycle.getMessage().contains("cycle"), cycle.getMessage());
    var missing = assertThrows(IOException.class, () -> MODULES.resolve(List.of("c")));
    assertEquals("kernel module c needs gone, which this kernel lacks", missing.getMessage());
  }

  private static void assertBefore(List<String> order, String first, String then) {
    assertTrue(order.indexOf(first) >= 0 && order.indexOf(first) < order.indexOf(then),
        first + " before " + then + " in " + order);
  }
}
