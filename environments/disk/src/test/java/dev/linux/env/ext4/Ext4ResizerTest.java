package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.ext4.Ext4Reader.GroupDescriptor;
import dev.linux.env.fs.FileMeta;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ext4ResizerTest {
  static final long MIB = 1 << 20;
  static final FileMeta META = FileMeta.of(0644, Instant.parse("2024-01-01T00:00:00Z"));

  @TempDir Path dir;

  /** Writes a populated image; returns its files' contents by path. */
  static Map<String, byte[]> populate(Path img, long size) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    Random random = new Random(5);
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(size))) {
      for (int i = 0; i < 200; i++) {
        byte[] content = new byte[random.nextInt(100_000)];
        random.nextBytes(content);
        String path = "/dir" + (i % 7) + "/file" + i;
        w.regularFile(path, META, content.length, new ByteArrayInputStream(content));
        files.put(path, content);
      }
      byte[] big = new byte[40 << 20];
      random.nextBytes(big);
      w.regularFile("/big", META, big.length, new ByteArrayInputStream(big));
      files.put("/big", big);
    }
    return files;
  }

  static void assertIntact(Path img, Map<String, byte[]> files, long expectedBytes) throws IOException {
    try (Ext4Reader r = Ext4Reader.open(img)) {
      var sb = r.superblock();
      assertEquals(expectedBytes / 4096, sb.blocksCount());
      assertEquals(sb.freeBlocks(), r.groupDescriptors().stream().mapToLong(GroupDescriptor::freeBlocks).sum());
      assertEquals(sb.freeInodes(), r.groupDescriptors().stream().mapToLong(GroupDescriptor::freeInodes).sum());
      assertEquals((long) sb.inodesPerGroup() * sb.groupCount(), sb.inodesCount());
      for (var e : files.entrySet()) {
        assertArrayEquals(e.getValue(), r.readContent(r.require(e.getKey())), e.getKey());
      }
    }
  }

  @Test
  void growsTwiceAcrossTheDescriptorBlockBoundaryKeepingEveryFile() throws IOException {
    Path img = dir.resolve("grow.img");
    Map<String, byte[]> files = populate(img, 256 * MIB);
    Ext4Resizer.grow(img, 2L << 30);
    assertEquals(2L << 30, Files.size(img));
    assertIntact(img, files, 2L << 30);
    Ext4Resizer.grow(img, 10L << 30);
    assertIntact(img, files, 10L << 30);
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals(80, r.superblock().groupCount());
      assertEquals(Ext4Format.INCOMPAT_META_BG, r.superblock().featureIncompat() & Ext4Format.INCOMPAT_META_BG,
          "80 groups need a second descriptor block, placed by meta_bg");
    }
    assertEquals(10L << 30, Files.size(img), "the image file grew (sparsely)");
  }

  @Test
  void growingAPartialLastGroupAndToTheSameSize() throws IOException {
    Path img = dir.resolve("partial.img");
    Map<String, byte[]> files = populate(img, 100 * MIB); // 3 groups, the last one partial
    Ext4Resizer.grow(img, 120 * MIB);
    assertIntact(img, files, 120 * MIB);
    Ext4Resizer.grow(img, 120 * MIB);
    assertIntact(img, files, 120 * MIB);
  }

  @Test
  void refusesToShrink() throws IOException {
    Path img = dir.resolve("shrink.img");
    populate(img, 256 * MIB);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Ext4Resizer.grow(img, 128 * MIB));
    assertTrue(e.getMessage().startsWith("shrinking is not supported"), e.getMessage());
  }

  @Test
  void refusesWhatIsNotAFilesystem() throws IOException {
    Path junk = dir.resolve("junk.img");
    byte[] zeros = new byte[1 << 20];
    Arrays.fill(zeros, (byte) 0);
    Files.write(junk, zeros);
    assertThrows(IOException.class, () -> Ext4Resizer.grow(junk, 2 << 20));
  }
}
