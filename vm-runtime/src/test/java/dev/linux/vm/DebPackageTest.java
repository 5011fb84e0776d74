package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebPackageTest {
  @TempDir Path dir;

  private Path write(byte[] deb) throws IOException {
    return Files.write(dir.resolve("k.deb"), deb);
  }

  @Test
  void extractsOnlyTheKernelFilesAndNoLinkOut() throws Exception {
    Path root = dir.resolve("root");
    List<String> names = DebPackage.extract(write(FakeArchive.kernelDeb("6.1.0-9-cloud-amd64")), root,
        DebPackage.KERNEL_FILES);
    assertEquals(List.of("boot/vmlinuz-6.1.0-9-cloud-amd64", "lib/modules/6.1.0-9-cloud-amd64/modules.builtin",
        "lib/modules/6.1.0-9-cloud-amd64/kernel/drivers/virtio/virtio.ko"), names);
    assertEquals("kernel 6.1.0-9-cloud-amd64", Files.readString(root.resolve("boot/vmlinuz-6.1.0-9-cloud-amd64")));
    assertFalse(Files.exists(root.resolve("boot/config-6.1.0-9-cloud-amd64")));
    assertFalse(Files.exists(root.resolve("usr")));
    assertFalse(Files.exists(root.resolve("lib/modules/6.1.0-9-cloud-amd64/build"),
        java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void traversalAndAbsoluteNamesAreRefused() throws Exception {
    for (String evil : List.of("./lib/modules/../../../../tmp/evil", "/lib/modules/x", "lib/modules/a/../../../x")) {
      Map<String, String> files = new LinkedHashMap<>();
      files.put("./boot/vmlinuz-1", "k");
      files.put(evil, "owned");
      Path deb = write(FakeArchive.deb(FakeArchive.tar(files, List.of())));
      Path root = dir.resolve("root-" + Math.abs(evil.hashCode()));
      var e = assertThrows(IOException.class, () -> DebPackage.extract(deb, root, n -> true), evil);
      assertTrue(e.getMessage().startsWith("k.deb: refusing"), e.getMessage());
      assertFalse(Files.exists(dir.resolve("evil")));
    }
  }

  @Test
  void truncatedOrGarbagePackagesFailWithOneLine() throws Exception {
    byte[] whole = FakeArchive.kernelDeb("6.1.0-9-cloud-amd64");
    Path cut = write(Arrays.copyOf(whole, whole.length - 100));
    var e = assertThrows(IOException.class, () -> DebPackage.extract(cut, dir.resolve("r1"), DebPackage.KERNEL_FILES));
    assertTrue(e.getMessage().startsWith("k.deb: truncated"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());

    Path garbage = write("<html>502 Bad Gateway</html>".getBytes());
    e = assertThrows(IOException.class, () -> DebPackage.extract(garbage, dir.resolve("r2"), DebPackage.KERNEL_FILES));
    assertEquals("k.deb: not an ar archive (no !<arch> header)", e.getMessage());

    byte[] data = FakeArchive.tar(Map.of("./boot/vmlinuz-1", "k"), List.of());
    data[data.length / 2] ^= 0x55;
    Path corrupt = write(FakeArchive.deb(data));
    e = assertThrows(IOException.class, () -> DebPackage.extract(corrupt, dir.resolve("r3"), DebPackage.KERNEL_FILES));
    assertTrue(e.getMessage().startsWith("k.deb: "), e.getMessage());

    Path noData = write(FakeArchive.ar(new LinkedHashMap<>(Map.of("debian-binary", "2.0\n".getBytes()))));
    e = assertThrows(IOException.class, () -> DebPackage.extract(noData, dir.resolve("r4"), DebPackage.KERNEL_FILES));
    assertEquals("k.deb: not a .deb (no data.tar member)", e.getMessage());
  }
}
