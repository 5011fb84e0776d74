package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.linux.env.fs.FileMeta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Big directories read back through their hash index. The hash seed is derived from the
 * filesystem UUID, so the fixed UUIDs below are chosen seeds: under each, two of the directory's
 * names share a hash and the writer puts a leaf split between them, which a lookup must cross by
 * following the collision bit of the index entry. Those were found by scanning seeds; with 100,000
 * names about one random seed in seventy gives such a split.
 */
class Ext4HashTreeTest {
  static final String NAME = "file-with-a-longish-name-";
  static final FileMeta META = FileMeta.of(0644, Instant.parse("2024-01-01T00:00:00Z"));

  @TempDir Path dir;

  /** A seed under which names {@code first} and {@code second} share a hash across a split. */
  record SplitCollision(String description, UUID uuid, int entries, int first, int second) {
    static final List<SplitCollision> KNOWN = List.of(
        new SplitCollision("two index levels, split between two leaves", new UUID(0, 174), 100_000,
            16786, 59196),
        new SplitCollision("the smallest hashed directory: two leaves, the split between them",
            new UUID(0, 10_106_689), 114, 28, 41),
        new SplitCollision("two index levels, split between two index nodes", new UUID(0, 280_534),
            60_000, 38862, 42379));
  }

  /** Writes {@code /huge} with names {@code NAME + 0} to {@code NAME + (entries - 1)}. */
  static void writeHugeDirectory(Ext4Writer w, int entries) throws IOException {
    for (int i = 0; i < entries; i++) {
      w.regularFile("/huge/" + NAME + i, META, 0, InputStream.nullInputStream());
    }
  }

  static Stream<Arguments> seeds() {
    Stream<Arguments> random = Stream.of(
        arguments("a random seed, as every new filesystem gets", UUID.randomUUID(), 100_000));
    return Stream.concat(random,
        SplitCollision.KNOWN.stream().map(c -> arguments(c.description(), c.uuid(), c.entries())));
  }

  @Test
  void theKnownSeedsStillMakeTheirNamesCollide() {
    for (SplitCollision c : SplitCollision.KNOWN) {
      DirectoryHash hash = MetadataEncoder.directoryHash(c.uuid());
      assertEquals(hash.hash(name(c.first())), hash.hash(name(c.second())), c.description());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void everyNameIsFoundThroughTheHash(String description, UUID uuid, int entries) throws IOException {
    Path img = dir.resolve("big.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(2L << 30).withUuid(uuid))) {
      writeHugeDirectory(w, entries);
    }
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertEquals(entries + 2, r.list(r.require("/huge")).size());
      for (int i = 0; i < entries; i++) {
        String name = NAME + i;
        assertTrue(r.lookup("/huge/" + name).isPresent(),
            () -> name + " not found through the hash index of filesystem " + uuid);
      }
      assertTrue(r.lookup("/huge/" + NAME + entries).isEmpty());
    }
  }

  @Test
  void longestNamesAreFoundThroughTheHash() throws IOException {
    Path img = dir.resolve("long.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(1L << 30))) {
      w.regularFile("/long/" + "n".repeat(255), META, 0, InputStream.nullInputStream());
      for (int i = 0; i < 40; i++) {
        w.regularFile("/long/" + (i + "-").repeat(250).substring(0, 250), META, 0,
            InputStream.nullInputStream());
      }
    }
    try (Ext4Reader r = Ext4Reader.open(img)) {
      assertTrue(r.lookup("/long/" + "n".repeat(255)).isPresent());
      assertTrue(r.lookup("/long/" + "5-".repeat(125)).isPresent());
      assertEquals(43, r.list("/long").size(), "41 names, . and ..");
    }
  }

  private static byte[] name(int i) {
    return (NAME + i).getBytes(StandardCharsets.UTF_8);
  }
}
