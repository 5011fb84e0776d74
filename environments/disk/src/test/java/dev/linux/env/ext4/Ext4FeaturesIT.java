package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4WriterIT.assertClean;
import static dev.linux.env.ext4.Ext4WriterIT.debugfs;
import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** e2fsck and debugfs judge checksums, extended attributes, hashed directories and edge cases. */
class Ext4FeaturesIT {
  static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");

  @TempDir Path dir;

  static FileMeta meta(int mode, Map<String, byte[]> xattrs) {
    return new FileMeta(mode, 0, 0, T, null, null, xattrs);
  }

  static Map<String, byte[]> manyXattrs() {
    Map<String, byte[]> x = new LinkedHashMap<>();
    x.put("user.comment", "c".repeat(500).getBytes());
    x.put("user.empty", new byte[0]);
    x.put("trusted.overlay.opaque", "y".getBytes());
    x.put("security.selinux", "system_u:object_r:bin_t:s0\0".getBytes());
    x.put("system.posix_acl_access", Ext4XattrTest.acl());
    x.put("system.posix_acl_default", Ext4XattrTest.acl());
    return x;
  }

  @Test
  void extendedAttributesInInodesAndSharedBlocks() throws Exception {
    Path img = dir.resolve("xattr.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(64 << 20))) {
      w.regularFile("/ping", meta(0755, Map.of("security.capability", Ext4XattrTest.capability())), 4,
          new ByteArrayInputStream("ping".getBytes()));
      w.directory("/shared", meta(0755, manyXattrs()));
      for (int i = 0; i < 30; i++) {
        w.regularFile("/shared/f" + i, meta(0644, manyXattrs()), 0, InputStream.nullInputStream());
      }
      w.special("/tty", SpecialType.CHARACTER_DEVICE, 5, 0, meta(0620, Map.of("user.x", new byte[] {1})));
      for (int i = 0; i < 1100; i++) { // more inodes than one shared block may serve
        w.regularFile("/many/f" + i, meta(0644, Map.of("user.blob", new byte[1000])), 0, InputStream.nullInputStream());
      }
    }
    assertClean(img);
    String ping = debugfs(img, "ea_list /ping");
    assertTrue(ping.contains("security.capability (20) = 01 00 00 02 00 04 00 00"), ping);
    String shared = debugfs(img, "ea_list /shared/f29");
    for (String name : manyXattrs().keySet()) {
      assertTrue(shared.contains(name), name + " missing in\n" + shared);
    }
    assertTrue(debugfs(img, "ea_get /shared/f3 security.selinux").contains("system_u:object_r:bin_t:s0"));
  }

  @Test
  void hashedDirectoryOfHundredThousandEntriesIsCleanWithoutRebuilding() throws Exception {
    Path img = dir.resolve("htree.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(2L << 30))) {
      for (int i = 0; i < 100_000; i++) {
        w.regularFile("/huge/entry-with-a-longish-name-" + i, meta(0644, Map.of()), 0, InputStream.nullInputStream());
      }
      for (int i = 0; i < 300; i++) {
        w.directory("/medium/" + (i + "-").repeat(255).substring(0, 255), meta(0755, Map.of()));
      }
    }
    assertClean(img);
    String htree = debugfs(img, "htree /huge");
    assertTrue(htree.contains("Indirect levels: 1"), htree.substring(0, 400));
    assertTrue(debugfs(img, "stat /huge/entry-with-a-longish-name-99999").contains("Type: regular"));
  }

  @Test
  void hugeSparseFilesDeepNestingAndFarFutureTimes() throws Exception {
    Path img = dir.resolve("edges.img");
    long size = (5L << 30) + 12345;
    Instant future = Instant.parse("2100-06-07T08:09:10.999999999Z");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(256 << 20))) {
      w.regularFile("/huge", new FileMeta(0644, 0, 0, future, T, T, Map.of()), size, new MarkedZeros(size));
      w.regularFile("/d".repeat(500) + "/leaf", meta(0600, Map.of()), 4, new ByteArrayInputStream("deep".getBytes()));
    }
    assertClean(img);
    String stat = debugfs(img, "stat /huge");
    assertTrue(stat.contains("Size: " + size), stat);
    assertTrue(stat.contains("mtime: 0xf555c526:ee6b27fd -- Mon Jun  7 08:09:10 2100"), stat);
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Ext4Reader.Inode huge = r.require("/huge");
      assertEquals(size, huge.size());
      assertEquals(future, huge.mtime());
      assertEquals(3, r.extents(huge).size(), "three marked blocks, the rest holes");
      assertEquals(size / 4096 , r.extents(huge).get(2).logical());
      assertArrayEquals("deep".getBytes(), r.readContent(r.require("/d".repeat(500) + "/leaf")));
    }
  }

  /** Zeros with a marker byte in the first block, just past 4 GiB, and in the last block. */
  static final class MarkedZeros extends InputStream {
    private final long size;
    private long position;

    MarkedZeros(long size) {
      this.size = size;
    }

    private byte at(long p) {
      return p == 0 || p == (4L << 30) + 100 || p == size - 1 ? (byte) 'x' : 0;
    }

    @Override
    public int read() {
      return position < size ? at(position++) & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - position);
      Arrays.fill(b, off, off + n, (byte) 0);
      for (long mark : new long[] {0, (4L << 30) + 100, size - 1}) {
        if (mark >= position && mark < position + n) {
          b[off + (int) (mark - position)] = 'x';
        }
      }
      position += n;
      return n;
    }
  }
}
