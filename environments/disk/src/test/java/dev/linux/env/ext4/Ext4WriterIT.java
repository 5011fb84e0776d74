package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Judges the writer's images with e2fsprogs: {@code e2fsck -fn}, {@code debugfs}, {@code dumpe2fs}. */
class Ext4WriterIT {
  static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");
  static final long MIB = 1 << 20;

  @TempDir Path dir;

  interface Body {
    void write(Ext4Writer w) throws IOException;
  }

  record Result(int exit, String output) {}

  Path image(Ext4Options options, Body body) throws IOException {
    Path file = dir.resolve("disk-" + System.nanoTime() + ".img");
    try (Ext4Writer w = Ext4Writer.create(file, options)) {
      body.write(w);
    }
    return file;
  }

  static Result run(String... command) throws IOException, InterruptedException {
    String program = command[0];
    Path resolved = null;
    for (String d : (System.getenv("PATH") + ":/sbin:/usr/sbin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        resolved = Path.of(d, program);
        break;
      }
    }
    if (resolved == null) {
      fail(program + " not found: install e2fsprogs (1.47 or later) to run the EXT4 integration tests");
    }
    List<String> argv = new ArrayList<>(List.of(command));
    argv.set(0, resolved.toString());
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), program + " timed out");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static void assertClean(Path image) throws Exception {
    Result fsck = run("e2fsck", "-fn", image.toString());
    assertEquals(0, fsck.exit(), "e2fsck -fn reported problems:\n" + fsck.output());
  }

  static String debugfs(Path image, String request) throws Exception {
    Result r = run("debugfs", "-R", request, image.toString());
    assertEquals(0, r.exit(), r.output());
    return r.output();
  }

  static FileMeta meta(int mode) {
    return FileMeta.of(mode, T);
  }

  static void file(Ext4Writer w, String path, String content) throws IOException {
    byte[] b = content.getBytes(StandardCharsets.UTF_8);
    w.regularFile(path, meta(0644), b.length, new ByteArrayInputStream(b));
  }

  @Test
  void emptyFilesystemIsCleanAndListsItsFeatures() throws Exception {
    Path img = image(Ext4Options.ofSize(64 * MIB).withLabel("empty"), w -> {});
    assertClean(img);
    String header = run("dumpe2fs", "-h", img.toString()).output();
    for (String feature : List.of("has_journal", "ext_attr", "dir_index", "filetype", "extent",
        "64bit", "flex_bg", "sparse_super", "large_file", "huge_file", "dir_nlink", "extra_isize",
        "metadata_csum")) {
      assertTrue(header.matches("(?s).*Filesystem features:[^\\n]*\\b" + feature + "\\b.*"),
          feature + " missing in\n" + header);
    }
    assertTrue(header.contains("Filesystem volume name:   empty"), header);
    assertTrue(header.contains("Inode size:\t          256"), header);
    assertTrue(header.contains("Total journal blocks:     1024"), header);
    assertTrue(header.contains("Journal start:            0"), header);
    assertTrue(header.contains("Filesystem state:         clean"), header);
    assertTrue(header.contains("Checksum type:            crc32c"), header);
    assertTrue(header.contains("Default directory hash:   half_md4"), header);
  }

  @Test
  void everyEntryTypeIsCleanAndDebugfsAgrees() throws Exception {
    Path img = image(Ext4Options.ofSize(128 * MIB), w -> {
      w.directory("/etc", meta(0755));
      w.regularFile("/etc/passwd", new FileMeta(04750, 100_000, 200_000, Instant.parse("2100-01-01T00:00:00.25Z"),
          null, null, Map.of()), 5, new ByteArrayInputStream("root\n".getBytes()));
      w.hardLink("/etc/passwd-link", "/etc/passwd");
      w.symlink("/etc/fast", "passwd", meta(0777));
      w.symlink("/etc/slow", "x/".repeat(80), meta(0777));
      w.special("/dev/null", SpecialType.CHARACTER_DEVICE, 1, 3, meta(0666));
      w.special("/dev/nvme0n1", SpecialType.BLOCK_DEVICE, 259, 300_000, meta(0660));
      w.special("/run/fifo", SpecialType.FIFO, 0, 0, meta(0600));
      w.directory("/tmp", meta(01777));
      file(w, "/" + "n".repeat(255), "long name");
      file(w, "/d".repeat(100) + "/leaf", "deep");
    });
    assertClean(img);
    String passwd = debugfs(img, "stat /etc/passwd");
    assertTrue(passwd.contains("Type: regular    Mode:  04750"), passwd);
    assertTrue(passwd.contains("User: 100000   Group: 200000"), passwd);
    assertTrue(passwd.contains("Links: 2"), passwd);
    assertTrue(passwd.contains("Size: 5"), passwd);
    assertTrue(passwd.contains("mtime: 0xf4865700:3b9aca01 -- Fri Jan  1 00:00:00 2100"), passwd);
    String dev = debugfs(img, "stat /dev/nvme0n1");
    assertTrue(dev.contains("Device major/minor number: 259:300000"), dev);
    assertTrue(debugfs(img, "stat /dev/null").contains("Device major/minor number: 01:03"));
    assertTrue(debugfs(img, "stat /tmp").contains("Mode:  01777"));
    assertTrue(debugfs(img, "stat /etc/slow").contains("Size: 160"));
    assertTrue(debugfs(img, "cat /etc/passwd").contains("root"));
  }

  @Test
  void largeDirectoryManyHardLinksAndRemovals() throws Exception {
    Path img = image(Ext4Options.ofSize(512 * MIB), w -> {
      for (int i = 0; i < 20_000; i++) {
        file(w, "/big/entry-" + i, "x".repeat(i % 50));
      }
      file(w, "/shared", "shared");
      for (int i = 0; i < 3000; i++) {
        w.hardLink("/links/l" + i, "/shared");
      }
      for (int i = 0; i < 20_000; i += 3) {
        w.remove("/big/entry-" + i);
      }
      w.clearDirectory("/links");
      w.hardLink("/links/again", "/shared");
    });
    assertClean(img);
    assertTrue(debugfs(img, "stat /shared").contains("Links: 2"));
  }

  /**
   * Under these seeds two names share a hash across a leaf or index node split: e2fsck must accept
   * the tree, and debugfs must show an index entry marked as continuing a collision ("(**)").
   */
  @Test
  void equalHashesAcrossASplitAreCleanAndMarkedAsACollision() throws Exception {
    for (Ext4HashTreeTest.SplitCollision c : Ext4HashTreeTest.SplitCollision.KNOWN) {
      Path img = image(Ext4Options.ofSize(2L << 30).withUuid(c.uuid()),
          w -> Ext4HashTreeTest.writeHugeDirectory(w, c.entries()));
      assertClean(img);
      assertTrue(debugfs(img, "htree /huge").contains("(**)"), c.description());
      for (int i : new int[] {c.first(), c.second()}) {
        String stat = debugfs(img, "stat /huge/" + Ext4HashTreeTest.NAME + i);
        assertTrue(stat.contains("Type: regular"), c.description() + ":\n" + stat);
      }
      Files.delete(img);
    }
  }

  @Test
  void bigFragmentedAndSparseFilesOnAMultiGroupFilesystem() throws Exception {
    long size = 3L << 30;
    Path img = image(Ext4Options.ofSize(size), w -> {
      byte[] random = new byte[150 << 20];
      new Random(7).nextBytes(random);
      w.regularFile("/random", meta(0644), random.length, new ByteArrayInputStream(random));
      byte[] frag = new byte[3000 * 4096];
      for (int b = 0; b < 3000; b += 2) {
        Arrays.fill(frag, b * 4096, (b + 1) * 4096, (byte) 9);
      }
      w.regularFile("/frag", meta(0644), frag.length, new ByteArrayInputStream(frag));
      w.regularFile("/sparse", meta(0644), 1L << 30, new ZeroStream(1L << 30));
    });
    assertClean(img);
    assertTrue(debugfs(img, "stat /random").contains("Size: " + (150 << 20)));
    assertTrue(debugfs(img, "stat /sparse").contains("Size: " + (1L << 30)));
    Result du = run("stat", "-c", "%b %B", img.toString());
    String[] parts = du.output().trim().split(" ");
    long allocated = Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    assertTrue(allocated < 200 * MIB, "image file should stay sparse, allocated " + allocated);
  }

  @Test
  void writeThroughput() throws Exception {
    long bytes = 1L << 30;
    byte[] chunk = new byte[1 << 20];
    new Random(1).nextBytes(chunk);
    long start = System.nanoTime();
    Path img = image(Ext4Options.ofSize(4L << 30), w -> w.regularFile("/blob", meta(0644), bytes,
        new InputStream() {
          long left = bytes;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left == 0) {
              return -1;
            }
            int n = (int) Math.min(Math.min(len, left), chunk.length);
            System.arraycopy(chunk, 0, b, off, n);
            left -= n;
            return n;
          }
        }));
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("EXT4 writer: 1 GiB of non-zero data in %.2f s (%.0f MiB/s, including fsync)%n",
        seconds, 1024 / seconds);
    assertClean(img);
  }

  /** A stream of zero bytes (the content of an entirely sparse file). */
  static final class ZeroStream extends InputStream {
    private long left;

    ZeroStream(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      return left-- > 0 ? 0 : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }
}
