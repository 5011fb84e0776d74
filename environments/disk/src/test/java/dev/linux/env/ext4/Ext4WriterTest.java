package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.ext4.Ext4Reader.DirEntry;
import dev.linux.env.ext4.Ext4Reader.Extent;
import dev.linux.env.ext4.Ext4Reader.FileType;
import dev.linux.env.ext4.Ext4Reader.GroupDescriptor;
import dev.linux.env.ext4.Ext4Reader.Inode;
import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ext4WriterTest {
  static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");
  static final long MIB = 1 << 20;

  @TempDir Path dir;

  interface Body {
    void write(Ext4Writer w) throws IOException;
  }

  Path image(long size, Body body) throws IOException {
    return image(Ext4Options.ofSize(size), body);
  }

  Path image(Ext4Options options, Body body) throws IOException {
    Path file = dir.resolve("disk-" + System.nanoTime() + ".img");
    try (Ext4Writer w = Ext4Writer.create(file, options)) {
      body.write(w);
    }
    return file;
  }

  static FileMeta meta(int mode) {
    return FileMeta.of(mode, T);
  }

  static InputStream bytes(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  static void file(Ext4Writer w, String path, String content) throws IOException {
    w.regularFile(path, meta(0644), content.length(), bytes(content));
  }

  static String text(Ext4Reader r, String path) throws IOException {
    return new String(r.readContent(r.require(path)), StandardCharsets.UTF_8);
  }

  @Test
  void emptyFilesystemHasRootLostFoundAndConsistentCounts() throws IOException {
    UUID uuid = UUID.randomUUID();
    Path img = image(Ext4Options.ofSize(64 * MIB).withLabel("rootfs").withUuid(uuid), w -> {});
    try (Ext4Reader r = Ext4Reader.open(img)) {
      var sb = r.superblock();
      assertEquals("rootfs", sb.label());
      assertEquals(uuid, sb.uuid());
      assertEquals(16384, sb.blocksCount());
      assertEquals(4096, sb.blockSize());
      assertEquals(256, sb.inodeSize());
      assertEquals(11, sb.firstInode());
      assertEquals(64, sb.descriptorSize());
      assertEquals(8, sb.journalInode());
      assertEquals(Ext4Format.COMPAT_HAS_JOURNAL, sb.featureCompat() & Ext4Format.COMPAT_HAS_JOURNAL);
      int incompat = Ext4Format.INCOMPAT_FILETYPE | Ext4Format.INCOMPAT_EXTENTS
          | Ext4Format.INCOMPAT_64BIT | Ext4Format.INCOMPAT_FLEX_BG;
      assertEquals(incompat, sb.featureIncompat());
      assertEquals(sb.freeBlocks(), r.groupDescriptors().stream().mapToLong(GroupDescriptor::freeBlocks).sum());
      assertEquals(sb.freeInodes(), r.groupDescriptors().stream().mapToLong(GroupDescriptor::freeInodes).sum());
      assertEquals(sb.inodesCount() - 11, sb.freeInodes());
      Inode root = r.require("/");
      assertEquals(2, root.number());
      assertEquals(3, root.links());
      Inode lostFound = r.require("/lost+found");
      assertEquals(11, lostFound.number());
      assertEquals(0700, lostFound.permissions());
      assertEquals(16384, lostFound.size());
      assertEquals(List.of(".", ".."), r.list(lostFound).stream().map(DirEntry::name).toList());
      Inode journal = r.inode(8);
      assertEquals(1024L * 4096, journal.size());
      assertEquals(1, r.extents(journal).size(), "journal is contiguous");
    }
  }

  @Test
  void everyEntryTypeWithItsMetadata() throws IOException {
    Instant future = Instant.parse("2100-03-04T05:06:07.987654321Z");
    Instant atime = Instant.parse("2001-02-03T04:05:06.5Z");
    Instant ctime = Instant.parse("2038-01-19T03:14:08.000000001Z");
    FileMeta owned = new FileMeta(06755, 100_000, 4_000_000_000L, future, atime, ctime, Map.of());
    Path img = image(64 * MIB, w -> {
      w.directory("/d", new FileMeta(01777, 70_000, 70_001, T, null, null, Map.of()));
      w.regularFile("/d/f", owned, 5, bytes("hello"));
      w.symlink("/d/fast", "f", meta(0777));
      w.symlink("/d/slow", "t/".repeat(100), meta(0777));
      w.special("/d/null", SpecialType.CHARACTER_DEVICE, 1, 3, meta(0666));
      w.special("/d/nvme", SpecialType.BLOCK_DEVICE, 259, 300_000, meta(0660));
      w.special("/d/fifo", SpecialType.FIFO, 0, 0, meta(0600));
      w.regularFile("/d/empty", meta(0400), 0, InputStream.nullInputStream());
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode d = r.require("/d");
      assertEquals(FileType.DIRECTORY, d.type());
      assertEquals(01777, d.permissions());
      assertEquals(70_000, d.uid());
      assertEquals(70_001, d.gid());
      Inode f = r.require("/d/f");
      assertEquals(FileType.REGULAR, f.type());
      assertEquals(06755, f.permissions());
      assertEquals(100_000, f.uid());
      assertEquals(4_000_000_000L, f.gid());
      assertEquals(future, f.mtime());
      assertEquals(atime, f.atime());
      assertEquals(ctime, f.ctime());
      assertEquals("hello", text(r, "/d/f"));
      assertEquals(1, f.links());
      Inode fast = r.require("/d/fast");
      assertEquals(FileType.SYMLINK, fast.type());
      assertEquals("f", fast.symlinkTarget());
      assertEquals(0, fast.flags() & Ext4Format.INODE_FLAG_EXTENTS, "fast symlinks live in i_block");
      assertEquals("t/".repeat(100), r.require("/d/slow").symlinkTarget());
      assertEquals(200, r.require("/d/slow").size());
      Inode nul = r.require("/d/null");
      assertEquals(FileType.CHARACTER_DEVICE, nul.type());
      assertEquals(1, nul.deviceMajor());
      assertEquals(3, nul.deviceMinor());
      Inode nvme = r.require("/d/nvme");
      assertEquals(FileType.BLOCK_DEVICE, nvme.type());
      assertEquals(259, nvme.deviceMajor());
      assertEquals(300_000, nvme.deviceMinor());
      assertEquals(FileType.FIFO, r.require("/d/fifo").type());
      assertEquals(0, r.require("/d/empty").size());
      assertEquals(0400, r.require("/d/empty").permissions());
      List<DirEntry> entries = r.list("/d");
      assertEquals(List.of(".", "..", "f", "fast", "slow", "null", "nvme", "fifo", "empty"),
          entries.stream().map(DirEntry::name).toList());
      assertEquals(Ext4Format.FT_BLK, entries.get(6).fileType());
    }
  }

  @Test
  void hardLinksShareAnInodeAndReplacementGetsANewOne() throws IOException {
    Path img = image(64 * MIB, w -> {
      file(w, "/a", "original");
      w.hardLink("/b", "/a");
      w.hardLink("/sub/c", "/b");
      file(w, "/b", "replacement");
      file(w, "/lonely", "x");
      w.hardLink("/gone", "/lonely");
      w.remove("/lonely");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode a = r.require("/a");
      Inode c = r.require("/sub/c");
      Inode b = r.require("/b");
      assertEquals(a.number(), c.number());
      assertNotEquals(a.number(), b.number());
      assertEquals(2, a.links());
      assertEquals(1, b.links());
      assertEquals("original", text(r, "/sub/c"));
      assertEquals("replacement", text(r, "/b"));
      assertEquals(1, r.require("/gone").links());
    }
  }

  @Test
  void overlaySemantics() throws IOException {
    Instant later = T.plusSeconds(60);
    Path img = image(64 * MIB, w -> {
      file(w, "/keep/child", "kept");
      w.directory("/keep", new FileMeta(0700, 5, 6, later, null, null, Map.of()));
      file(w, "/replaced/deep/file", "lost");
      file(w, "/replaced", "now a file");
      file(w, "/wasfile", "x");
      w.directory("/wasfile", meta(0711));
      file(w, "/whiteout/a/b", "x");
      file(w, "/whiteout/c", "x");
      w.remove("/whiteout/a");
      w.remove("/does/not/exist");
      file(w, "/opaque/x", "x");
      w.directory("/opaque/y", meta(0755));
      w.clearDirectory("/opaque");
      file(w, "/opaque/z", "z");
      file(w, "./norm//a/./b/../c", "normalised");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode keep = r.require("/keep");
      assertEquals(0700, keep.permissions());
      assertEquals(5, keep.uid());
      assertEquals(later, keep.mtime());
      assertEquals("kept", text(r, "/keep/child"));
      assertEquals(FileType.REGULAR, r.require("/replaced").type());
      assertEquals("now a file", text(r, "/replaced"));
      assertEquals(FileType.DIRECTORY, r.require("/wasfile").type());
      assertEquals(0711, r.require("/wasfile").permissions());
      assertTrue(r.lookup("/whiteout/a").isEmpty());
      assertTrue(r.lookup("/whiteout/c").isPresent());
      assertEquals(List.of(".", "..", "z"), r.list("/opaque").stream().map(DirEntry::name).toList());
      assertEquals("normalised", text(r, "/norm/a/c"));
      Inode parent = r.require("/norm/a");
      assertEquals(0755, parent.permissions());
      assertEquals(0, parent.uid());
      assertEquals(0, parent.gid());
    }
  }

  @Test
  void directoryLinkCountsAndDotDot() throws IOException {
    Path img = image(64 * MIB, w -> {
      w.directory("/p/a", meta(0755));
      w.directory("/p/b", meta(0755));
      w.directory("/p/b/c", meta(0755));
      file(w, "/p/f", "x");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals(4, r.require("/").links()); // ., .., lost+found, p
      assertEquals(4, r.require("/p").links());
      assertEquals(3, r.require("/p/b").links());
      assertEquals(2, r.require("/p/b/c").links());
      List<DirEntry> c = r.list("/p/b/c");
      assertEquals(r.require("/p/b").number(), c.get(1).inode());
      assertEquals(2, r.list("/p").get(1).inode());
    }
  }

  @Test
  void rejectsEscapingPathsAndBadNames() throws IOException {
    Path img = image(64 * MIB, w -> {
      assertThrows(IllegalArgumentException.class, () -> file(w, "../x", "x"));
      assertThrows(IllegalArgumentException.class, () -> file(w, "/a/../../x", "x"));
      assertThrows(IllegalArgumentException.class, () -> w.directory("/../etc", meta(0755)));
      assertThrows(IllegalArgumentException.class, () -> w.symlink("/..", "x", meta(0777)));
      assertThrows(IllegalArgumentException.class, () -> file(w, "/" + "n".repeat(256), "x"));
      assertThrows(IllegalArgumentException.class, () -> file(w, "/", "x"));
      file(w, "/" + "n".repeat(255), "long name");
      file(w, "/" + "é".repeat(127), "two-byte characters");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals("long name", text(r, "/" + "n".repeat(255)));
      assertEquals("two-byte characters", text(r, "/" + "é".repeat(127)));
    }
  }

  @Test
  void tenThousandEntryDirectory() throws IOException {
    Path img = image(256 * MIB, w -> {
      for (int i = 0; i < 10_000; i++) {
        file(w, "/big/entry-with-a-longish-name-" + i, Integer.toString(i));
      }
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      List<DirEntry> entries = r.list("/big");
      assertEquals(10_002, entries.size());
      assertEquals(java.util.stream.IntStream.range(0, 10_000).mapToObj(i -> "entry-with-a-longish-name-" + i)
          .collect(java.util.stream.Collectors.toSet()),
          entries.stream().skip(2).map(DirEntry::name).collect(java.util.stream.Collectors.toSet()));
      Inode big = r.require("/big");
      assertEquals(Ext4Format.INODE_FLAG_INDEX, big.flags() & Ext4Format.INODE_FLAG_INDEX, "hashed");
      for (int i = 0; i < 10_000; i += 97) {
        // lookups go through the hash index
        assertEquals(Integer.toString(i), text(r, "/big/entry-with-a-longish-name-" + i));
      }
      assertTrue(r.lookup("/big/entry-with-a-longish-name-10000").isEmpty());
      assertTrue(big.size() > 40 * 4096L);
      assertEquals(0, r.require("/").flags() & Ext4Format.INODE_FLAG_INDEX, "small directories stay linear");
    }
  }

  @Test
  void largeRandomFileCrossingABackupSuperblockReadsBackExactly() throws Exception {
    byte[] content = new byte[48 << 20];
    new Random(42).nextBytes(content);
    byte[] filler = new byte[80 << 20];
    Arrays.fill(filler, (byte) 1);
    Path img = image(512 * MIB, w -> {
      w.regularFile("/filler", meta(0644), filler.length, new ByteArrayInputStream(filler));
      w.regularFile("/random", meta(0644), content.length, new ByteArrayInputStream(content));
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode inode = r.require("/random");
      assertEquals(content.length, inode.size());
      byte[] back = r.readContent(inode);
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      assertArrayEquals(sha.digest(content), sha.digest(back));
      List<Extent> extents = r.extents(inode);
      assertTrue(extents.size() >= 2, "split around the superblock copy of group 1");
      for (Extent e : extents) {
        assertFalse(e.physical() <= 32768 && 32768 < e.physical() + e.length(),
            "no extent may cover the backup superblock");
      }
      assertEquals((long) content.length / 512, inode.blocks512());
    }
  }

  @Test
  void zeroBlocksStayHoles() throws IOException {
    long size = 100 * MIB;
    Path img = image(256 * MIB, w -> w.regularFile("/sparse", meta(0644), size, new InputStream() {
      long position;

      @Override
      public int read() {
        long p = position++;
        return p < 4096 || p >= size - 10 ? 'x' : 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
          b[off + i] = (byte) read();
        }
        return len;
      }
    }));
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode inode = r.require("/sparse");
      assertEquals(size, inode.size());
      assertEquals(2 * 8, inode.blocks512(), "only the first and the last block are allocated");
      List<Extent> extents = r.extents(inode);
      assertEquals(List.of(0L, size / 4096 - 1), extents.stream().map(Extent::logical).toList());
      byte[] back = r.readContent(inode);
      assertEquals('x', back[0]);
      assertEquals(0, back[4096]);
      assertEquals(0, back[(int) size - 11]);
      assertEquals('x', back[(int) size - 1]);
    }
  }

  @Test
  void fragmentedFileNeedsAMultiLevelExtentTree() throws IOException {
    int blocks = 4000; // every other block non-zero: 2000 extents, more than 4 leaves
    byte[] content = new byte[blocks * 4096];
    for (int b = 0; b < blocks; b += 2) {
      Arrays.fill(content, b * 4096, (b + 1) * 4096, (byte) (b % 251 + 1));
    }
    Path img = image(128 * MIB, w -> {
      w.regularFile("/frag", meta(0644), content.length, new ByteArrayInputStream(content));
      w.regularFile("/six", meta(0644), 11 * 4096L, new ByteArrayInputStream(Arrays.copyOf(content, 11 * 4096)));
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Inode frag = r.require("/frag");
      assertEquals(2000, r.extents(frag).size());
      assertArrayEquals(content, r.readContent(frag));
      long leaves = (2000 + 339) / 340;
      assertEquals((2000 + leaves + 1) * 8, frag.blocks512(), "data, leaves and one index block");
      Inode six = r.require("/six");
      assertEquals(6, r.extents(six).size());
      assertEquals((6 + 1) * 8, six.blocks512(), "depth 1: one leaf block");
      assertArrayEquals(Arrays.copyOf(content, 11 * 4096), r.readContent(six));
    }
  }

  @Test
  void deepNesting() throws IOException {
    String path = "/d".repeat(300) + "/leaf";
    Path img = image(64 * MIB, w -> file(w, path, "deep"));
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals("deep", text(r, path));
    }
  }

  @Test
  void removedContentLeavesItsBlocksFree() throws IOException {
    long emptyFree;
    try (Ext4Reader r = Ext4Reader.open(image(64 * MIB, w -> {}))) {
      emptyFree = r.superblock().freeBlocks();
    }
    byte[] data = new byte[8 << 20];
    Arrays.fill(data, (byte) 7);
    Path img = image(64 * MIB, w -> {
      w.regularFile("/tmp/big", meta(0644), data.length, new ByteArrayInputStream(data));
      w.remove("/tmp");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals(emptyFree, r.superblock().freeBlocks());
    }
  }

  @Test
  void tooSmallDiskFailsClearlyAndLeavesNoFilesystem() throws IOException {
    Path file = dir.resolve("small.img");
    byte[] data = new byte[16 << 20];
    Arrays.fill(data, (byte) 1);
    IOException e;
    try (Ext4Writer w = Ext4Writer.create(file, Ext4Options.ofSize(8 * MIB))) {
      e = assertThrows(IOException.class,
          () -> w.regularFile("/big", meta(0644), data.length, new ByteArrayInputStream(data)));
      assertThrows(IOException.class, () -> file(w, "/after", "x"));
    }
    assertTrue(e.getMessage().startsWith("disk too small: image needs at least "), e.getMessage());
    assertThrows(IOException.class, () -> Ext4Reader.open(file).close());
  }

  @Test
  void runningOutOfInodesFailsAtClose() throws IOException {
    Path file = dir.resolve("few-inodes.img");
    Ext4Writer w = Ext4Writer.create(file, Ext4Options.ofSize(16 * MIB).withBytesPerInode(1 << 20));
    for (int i = 0; i < 100; i++) {
      w.regularFile("/f" + i, meta(0644), 0, InputStream.nullInputStream());
    }
    IOException e = assertThrows(IOException.class, w::close);
    assertTrue(e.getMessage().startsWith("disk too small"), e.getMessage());
    assertThrows(IOException.class, () -> Ext4Reader.open(file).close());
  }

  @Test
  void shortContentIsAnErrorButTheWriterStaysUsable() throws IOException {
    Path img = image(64 * MIB, w -> {
      assertThrows(IOException.class, () -> w.regularFile("/short", meta(0644), 10, bytes("abc")));
      file(w, "/ok", "fine");
    });
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertTrue(r.lookup("/short").isEmpty());
      assertEquals("fine", text(r, "/ok"));
    }
  }
}
