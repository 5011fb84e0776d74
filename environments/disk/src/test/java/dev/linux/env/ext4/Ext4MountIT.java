package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4WriterIT.assertClean;
import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts images read-only through a loop device and checks them through the kernel: the final
 * judge of checksums, hashed lookups, xattrs, capabilities and ACLs. Needs root; skipped otherwise.
 */
class Ext4MountIT {
  static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");

  @TempDir Path dir;

  @BeforeAll
  static void requireRoot() throws Exception {
    String uid = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim();
    Assumptions.assumeTrue(uid.equals("0"),
        "Ext4MountIT loop-mounts images and needs root; skipped for uid " + uid);
  }

  /** Runs a command and returns its output; fails on a non-zero exit. */
  static String sh(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    return out;
  }

  static boolean installed(String program) {
    for (String d : (System.getenv("PATH") + ":/sbin:/usr/sbin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** A read-only loop mount, unmounted on close. */
  record Mount(Path point) implements AutoCloseable {
    static Mount of(Path image, Path point) throws Exception {
      Files.createDirectories(point);
      sh("mount", "-o", "ro,loop", image.toString(), point.toString());
      return new Mount(point);
    }

    @Override
    public void close() throws Exception {
      sh("umount", point.toString());
    }
  }

  static FileMeta meta(int mode, Map<String, byte[]> xattrs) {
    return new FileMeta(mode, 1000, 1000, T, null, null, xattrs);
  }

  @Test
  void theKernelReadsEverythingBack() throws Exception {
    Path img = dir.resolve("mount.img");
    List<String> names = new ArrayList<>();
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(2L << 30))) {
      w.regularFile("/bin/ping", meta(04755, Map.of("security.capability", Ext4XattrTest.capability())),
          4, new ByteArrayInputStream("ping".getBytes()));
      w.directory("/acl", meta(0750, Ext4FeaturesIT.manyXattrs()));
      w.regularFile("/acl/file", meta(0640, Ext4FeaturesIT.manyXattrs()), 0, InputStream.nullInputStream());
      w.special("/dev/null", SpecialType.CHARACTER_DEVICE, 1, 3, meta(0666, Map.of()));
      w.special("/dev/nvme0n1", SpecialType.BLOCK_DEVICE, 259, 300_000, meta(0660, Map.of()));
      w.special("/run/fifo", SpecialType.FIFO, 0, 0, meta(0600, Map.of()));
      w.regularFile("/sparse", meta(0644, Map.of()), (5L << 30) + 1, new Ext4FeaturesIT.MarkedZeros((5L << 30) + 1));
      for (int i = 0; i < 100_000; i++) {
        String name = "entry-with-a-longish-name-" + i;
        w.regularFile("/huge/" + name, meta(0644, Map.of()), 0, InputStream.nullInputStream());
        if (i % 997 == 0) {
          names.add(name);
        }
      }
    }
    assertClean(img);
    try (Mount m = Mount.of(img, dir.resolve("mnt"))) {
      Path root = m.point();
      String ping = root.resolve("bin/ping").toString();
      assertEquals("4755 1000 1000 4", sh("stat", "-c", "%a %u %g %s", ping).trim());
      if (installed("getcap")) {
        assertTrue(sh("getcap", ping).contains("cap_net_bind_service=ep"));
      }
      if (installed("getfattr")) {
        String all = sh("getfattr", "-d", "-m", "-", "-e", "hex", "--absolute-names", ping);
        assertTrue(all.contains("security.capability=0x0100000200040000"), all);
        String acl = sh("getfattr", "-d", "-m", "-", "--absolute-names", root.resolve("acl/file").toString());
        for (String name : Ext4FeaturesIT.manyXattrs().keySet()) {
          assertTrue(acl.contains(name), name + " missing in\n" + acl);
        }
        assertTrue(acl.contains("security.selinux=\"system_u:object_r:bin_t:s0\""), acl);
      } else {
        System.err.println("getfattr not installed (package attr): checking user.* attributes only");
        UserDefinedFileAttributeView view =
            Files.getFileAttributeView(root.resolve("acl/file"), UserDefinedFileAttributeView.class);
        ByteBuffer value = ByteBuffer.allocate(view.size("comment"));
        view.read("comment", value);
        assertEquals("c".repeat(500), new String(value.array(), StandardCharsets.UTF_8));
      }
      if (installed("getfacl")) {
        String facl = sh("getfacl", "-n", root.resolve("acl").toString());
        assertTrue(facl.contains("user:1000:r-x"), facl);
        assertTrue(facl.contains("default:user:1000:r-x"), facl);
      }
      assertEquals("character special file 1 3",
          sh("stat", "-c", "%F %t %T", root.resolve("dev/null").toString()).trim());
      assertEquals("block special file 103 493e0",
          sh("stat", "-c", "%F %t %T", root.resolve("dev/nvme0n1").toString()).trim());
      assertEquals("fifo", sh("stat", "-c", "%F", root.resolve("run/fifo").toString()).trim());
      assertEquals((5L << 30) + 1 + " 24",
          sh("stat", "-c", "%s %b", root.resolve("sparse").toString()).trim(), "three 4 KiB blocks allocated");
      for (String name : names) {
        assertTrue(Files.exists(root.resolve("huge").resolve(name)), name);
      }
      assertFalse(Files.exists(root.resolve("huge/entry-with-a-longish-name-100000")));
      try (var list = Files.list(root.resolve("huge"))) {
        assertEquals(100_000, list.count());
      }
    }
  }

  /** The kernel's own hashed lookup of names that share a hash across a split. */
  @Test
  void theKernelFindsNamesOfEqualHashOnBothSidesOfASplit() throws Exception {
    for (Ext4HashTreeTest.SplitCollision c : Ext4HashTreeTest.SplitCollision.KNOWN) {
      Path img = dir.resolve("collision.img");
      try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(2L << 30).withUuid(c.uuid()))) {
        Ext4HashTreeTest.writeHugeDirectory(w, c.entries());
      }
      try (Mount m = Mount.of(img, dir.resolve("mnt"))) {
        for (int i : new int[] {c.first(), c.second()}) {
          String name = Ext4HashTreeTest.NAME + i;
          assertTrue(Files.exists(m.point().resolve("huge").resolve(name)), c.description() + ": " + name);
        }
      }
      Files.delete(img);
    }
  }
}
