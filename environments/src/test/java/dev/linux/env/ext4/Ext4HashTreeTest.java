package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.fs.FileMeta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ext4HashTreeTest {
  @TempDir Path dir;

  @Test
  void hundredThousandEntriesNeedTwoIndexLevelsAndEveryNameIsFoundThroughTheHash() throws IOException {
    Path img = dir.resolve("big.img");
    FileMeta meta = FileMeta.of(0644, Instant.parse("2024-01-01T00:00:00Z"));
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(2L << 30))) {
      for (int i = 0; i < 100_000; i++) {
        w.regularFile("/huge/file-with-a-longish-name-" + i, meta, 0, InputStream.nullInputStream());
      }
      w.regularFile("/long/" + "n".repeat(255), meta, 0, InputStream.nullInputStream());
      for (int i = 0; i < 40; i++) {
        w.regularFile("/long/" + (i + "-").repeat(250).substring(0, 250), meta, 0,
            InputStream.nullInputStream());
      }
    }
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Ext4Reader.Inode huge = r.require("/huge");
      assertEquals(100_002, r.list(huge).size());
      for (int i = 0; i < 100_000; i += 1) {
        assertTrue(r.lookup("/huge/file-with-a-longish-name-" + i).isPresent(), "file-with-a-longish-name-" + i);
      }
      assertTrue(r.lookup("/huge/file-with-a-longish-name-100000").isEmpty());
      assertTrue(r.lookup("/long/" + "n".repeat(255)).isPresent());
      assertEquals(43, r.list("/long").size(), "41 names, . and ..");
    }
  }
}
