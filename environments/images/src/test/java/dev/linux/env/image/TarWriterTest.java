package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class TarWriterTest {

  private static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");

  private static TarWriter.Header header(String name, TarWriter.Type type, long size, String link) {
    return new TarWriter.Header(name, type, 0644, 0, 0, size, T, link, 0, 0, Map.of());
  }

  @Test
  void commonsCompressReadsEveryKindOfEntry() throws IOException {
    String longName = "a/" + "b".repeat(120) + "/é-file";
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarWriter tar = new TarWriter(bytes)) {
      tar.putEntry(new TarWriter.Header("etc/", TarWriter.Type.DIRECTORY, 0755, 0, 0, 0, T, null, 0, 0, Map.of()));
      byte[] content = "hello\n".getBytes(StandardCharsets.UTF_8);
      tar.putEntry(new TarWriter.Header("etc/hosts", TarWriter.Type.FILE, 04755, 3_000_000, 4_000_000, content.length,
          T, null, 0, 0, Map.of("user.note", "v".getBytes(StandardCharsets.UTF_8))));
      tar.writeContent(content, 0, content.length);
      tar.putEntry(header(longName, TarWriter.Type.FILE, 0, null));
      tar.putEntry(header("etc/hosts2", TarWriter.Type.HARD_LINK, 0, "etc/hosts"));
      tar.putEntry(header("etc/long-link", TarWriter.Type.SYMLINK, 0, "/" + "t".repeat(150)));
      tar.putEntry(new TarWriter.Header("dev/null", TarWriter.Type.CHARACTER_DEVICE, 0666, 0, 0, 0, T, null, 1, 3, Map.of()));
      tar.putEntry(new TarWriter.Header("dev/vda", TarWriter.Type.BLOCK_DEVICE, 0660, 0, 6, 0, T, null, 254, 0, Map.of()));
      tar.putEntry(header("run/fifo", TarWriter.Type.FIFO, 0, null));
    }
    assertEquals(0, bytes.size() % 512);
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      TarArchiveEntry dir = in.getNextEntry();
      assertEquals("etc/", dir.getName());
      assertTrue(dir.isDirectory());
      assertEquals(0755, dir.getMode() & 07777);

      TarArchiveEntry file = in.getNextEntry();
      assertEquals("etc/hosts", file.getName());
      assertEquals(04755, file.getMode() & 07777);
      assertEquals(3_000_000L, file.getLongUserId());
      assertEquals(4_000_000L, file.getLongGroupId());
      assertEquals(T, file.getLastModifiedTime().toInstant());
      assertEquals("v", file.getExtraPaxHeader("SCHILY.xattr.user.note"));
      assertEquals("hello\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));

      assertEquals(longName, in.getNextEntry().getName());
      TarArchiveEntry hard = in.getNextEntry();
      assertTrue(hard.isLink());
      assertEquals("etc/hosts", hard.getLinkName());
      TarArchiveEntry symlink = in.getNextEntry();
      assertTrue(symlink.isSymbolicLink());
      assertEquals("/" + "t".repeat(150), symlink.getLinkName());
      TarArchiveEntry chr = in.getNextEntry();
      assertTrue(chr.isCharacterDevice());
      assertEquals(1, chr.getDevMajor());
      assertEquals(3, chr.getDevMinor());
      TarArchiveEntry blk = in.getNextEntry();
      assertTrue(blk.isBlockDevice());
      assertEquals(254, blk.getDevMajor());
      assertEquals(6, blk.getLongGroupId());
      assertTrue(in.getNextEntry().isFIFO());
      assertNull(in.getNextEntry());
    }
  }

  @Test
  void binaryXattrValuesSurviveByteForByte() throws IOException {
    byte[] capability = {1, 0, 0, 2, (byte) 0xff, (byte) 0xfe, 0, 10, '\n', '='};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarWriter tar = new TarWriter(bytes)) {
      tar.putEntry(new TarWriter.Header("bin/ping", TarWriter.Type.FILE, 0755, 0, 0, 0, T, null, 0, 0,
          Map.of("security.capability", capability)));
    }
    TarEntry entry = new TarReader(new ByteArrayInputStream(bytes.toByteArray()), "test").next();
    assertEquals("bin/ping", entry.name());
    assertArrayEquals(capability, entry.xattrs().get("security.capability"));
  }

  @Test
  void paxRecordLengthsCountThemselves() {
    byte[] records = TarWriter.paxRecords(Map.of("path", "x".repeat(90).getBytes(StandardCharsets.US_ASCII)));
    String text = new String(records, StandardCharsets.US_ASCII);
    assertEquals(Integer.parseInt(text.substring(0, text.indexOf(' '))), records.length);
  }

  @Test
  void contentMustMatchTheDeclaredSize() throws IOException {
    TarWriter tar = new TarWriter(new ByteArrayOutputStream());
    tar.putEntry(header("f", TarWriter.Type.FILE, 10, null));
    tar.writeContent(new byte[4], 0, 4);
    assertThrows(IllegalStateException.class, tar::finish);
    assertThrows(IllegalArgumentException.class, () -> header("d/", TarWriter.Type.DIRECTORY, 5, null));
  }
}
