package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.testing.TestKernels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs for the real kernel: vminitd as /init, modules in dependency order, cached. */
class InitramfsBuilderIT {
  @TempDir Path data;

  @Test
  void buildsFromTheRealKernelAndCaches() throws Exception {
    GuestKernel kernel = TestKernels.distributionKernel();
    List<String> notices = new ArrayList<>();
    InitramfsBuilder builder = new InitramfsBuilder(data, notices::add);
    Path image = builder.ensure(kernel);

    Map<String, CpioReader.Entry> entries =
        CpioReader.read(Files.readAllBytes(image)).stream()
            .collect(Collectors.toMap(CpioReader.Entry::name, Function.identity()));
    CpioReader.Entry init = entries.get("init");
    assertEquals(0100755, init.mode());
    assertArrayEquals(InitramfsBuilder.vminitdFromClasspath(Architecture.host()), init.data());
    assertEquals(0020600, entries.get("dev/console").mode());

    List<String> order =
        new String(entries.get("lib/modules/load.order").data(), StandardCharsets.UTF_8).lines().toList();
    for (String module : order) {
      assertTrue(entries.containsKey("lib/modules/" + module), module);
    }
    for (String wanted : List.of("virtio_mmio.ko", "virtio_blk.ko", "virtio_console.ko", "virtiofs.ko", "fuse.ko")) {
      assertTrue(order.contains(wanted), wanted + " in " + order);
    }
    assertTrue(order.indexOf("virtio_ring.ko") < order.indexOf("virtio_mmio.ko"), order.toString());
    assertTrue(order.indexOf("virtio.ko") < order.indexOf("virtio_mmio.ko"), order.toString());
    assertTrue(order.indexOf("fuse.ko") < order.indexOf("virtiofs.ko"), order.toString());
    // GNU cpio agrees on the listing.
    String listing = CpioWriterIT.run(data, "cpio", "-t", "-F", image.toString());
    assertTrue(listing.lines().anyMatch("lib/modules/virtio_mmio.ko"::equals), listing);

    // Cached: the same file comes back untouched; another module set is another image.
    long modified = Files.getLastModifiedTime(image).toMillis();
    assertEquals(image, builder.ensure(kernel));
    assertEquals(modified, Files.getLastModifiedTime(image).toMillis());
    // A different vminitd means a different image.
    Path other = new InitramfsBuilder(data, n -> {}, arch -> new byte[] {1, 2, 3}).ensure(kernel);
    assertNotEquals(image, other);
  }
}
