package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.ext4.Ext4Options;
import dev.linux.env.ext4.Ext4Reader;
import dev.linux.env.ext4.Ext4Writer;
import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import dev.linux.env.image.RootfsTarball;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskExporterTest {

  private static final Instant T = Instant.parse("2024-05-06T07:08:09.987654321Z");
  private static final byte[] CAPABILITY = {1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0};
  private static final String LONG = "usr/share/" + "x".repeat(110) + "/" + "y".repeat(70) + ".txt";

  @TempDir Path dir;

  private static FileMeta meta(int mode, long uid, long gid) {
    return new FileMeta(mode, uid, gid, T, null, null, Map.of());
  }

  private Path disk(byte[] big) throws IOException {
    Path disk = dir.resolve("disk.ext4");
    try (Ext4Writer w = Ext4Writer.create(disk, Ext4Options.ofSize(64L << 20))) {
      w.directory("bin", meta(0755, 0, 0));
      w.directory("usr", meta(0755, 0, 0));
      w.directory("usr/share", meta(0755, 0, 0));
      w.directory("usr/share/" + "x".repeat(110), meta(0700, 1000, 1000));
      w.directory("dev", meta(0755, 0, 0));
      w.regularFile("bin/ping", new FileMeta(04755, 0, 0, T, null, null,
          Map.of("security.capability", CAPABILITY, "user.note", "hello".getBytes(StandardCharsets.UTF_8))),
          big.length, new ByteArrayInputStream(big));
      w.hardLink("bin/ping6", "bin/ping");
      w.regularFile(LONG, meta(0640, 3_000_000, 2_500_000), 3, new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8)));
      w.regularFile("usr/empty", meta(0600, 0, 0), 0, new ByteArrayInputStream(new byte[0]));
      w.regularFile("usr/.wh.literal", meta(0644, 0, 0), 0, new ByteArrayInputStream(new byte[0]));
      w.symlink("usr/short", "bin/ping", meta(0777, 0, 0));
      w.symlink("usr/long", "/" + "z".repeat(200), meta(0777, 0, 0));
      w.special("dev/null", SpecialType.CHARACTER_DEVICE, 1, 3, meta(0666, 0, 0));
      w.special("dev/vda", SpecialType.BLOCK_DEVICE, 254, 0, meta(0660, 0, 6));
      w.special("dev/fifo", SpecialType.FIFO, 0, 0, meta(0620, 0, 0));
    }
    return disk;
  }

  @Test
  void exportListsTheDiskWithOwnersModesLinksDevicesAndXattrs() throws IOException {
    byte[] big = new byte[300_000];
    new Random(3).nextBytes(big);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long entries = DiskExporter.export(disk(big), out);

    Map<String, TarArchiveEntry> seen = new LinkedHashMap<>();
    Map<String, byte[]> contents = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        seen.put(e.getName(), e);
        contents.put(e.getName(), in.readAllBytes());
      }
    }
    assertEquals(entries, seen.size());
    assertTrue(seen.containsKey("lost+found/"), seen.keySet().toString());
    assertTrue(seen.get("bin/").isDirectory());
    TarArchiveEntry ping = seen.get("bin/ping");
    assertEquals(04755, ping.getMode() & 07777);
    assertEquals(T, ping.getLastModifiedTime().toInstant());
    assertArrayEquals(big, contents.get("bin/ping"));
    assertEquals("hello", ping.getExtraPaxHeader("SCHILY.xattr.user.note"));
    assertTrue(seen.get("bin/ping6").isLink());
    assertEquals("bin/ping", seen.get("bin/ping6").getLinkName());

    TarArchiveEntry longFile = seen.get(LONG);
    assertEquals(3_000_000L, longFile.getLongUserId());
    assertEquals(2_500_000L, longFile.getLongGroupId());
    assertEquals(0640, longFile.getMode() & 07777);
    assertEquals("abc", new String(contents.get(LONG), StandardCharsets.UTF_8));
    assertEquals(0700, seen.get("usr/share/" + "x".repeat(110) + "/").getMode() & 07777);

    assertEquals(0, seen.get("usr/empty").getSize());
    assertEquals("bin/ping", seen.get("usr/short").getLinkName());
    assertEquals("/" + "z".repeat(200), seen.get("usr/long").getLinkName());
    assertTrue(seen.get("dev/null").isCharacterDevice());
    assertEquals(1, seen.get("dev/null").getDevMajor());
    assertEquals(3, seen.get("dev/null").getDevMinor());
    assertTrue(seen.get("dev/vda").isBlockDevice());
    assertEquals(254, seen.get("dev/vda").getDevMajor());
    assertTrue(seen.get("dev/fifo").isFIFO());
    assertEquals(0620, seen.get("dev/fifo").getMode() & 07777);
  }

  @Test
  void exportThenImportGivesTheSameTree() throws IOException {
    byte[] big = new byte[70_000];
    new Random(5).nextBytes(big);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    DiskExporter.export(disk(big), first);

    Path copy = dir.resolve("copy.ext4");
    try (Ext4Writer w = Ext4Writer.create(copy, Ext4Options.ofSize(64L << 20))) {
      RootfsTarball.apply(new ByteArrayInputStream(first.toByteArray()), "export", w);
    }
    try (Ext4Reader r = Ext4Reader.open(copy)) {
      Ext4Reader.Inode ping = r.require("bin/ping");
      assertArrayEquals(CAPABILITY, r.xattrs(ping).get("security.capability"));
      assertArrayEquals(big, r.readContent(ping));
      assertEquals(2, ping.links());
      assertEquals(ping.number(), r.require("bin/ping6").number());
      assertEquals(T, ping.mtime());
      assertEquals(3_000_000L, r.require(LONG).uid());
      // a rootfs tarball has no whiteouts: the name is an ordinary file, and usr/empty survives it
      assertTrue(r.lookup("usr/.wh.literal").isPresent());
      assertTrue(r.lookup("usr/empty").isPresent());
    }
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    DiskExporter.export(copy, second);
    assertArrayEquals(first.toByteArray(), second.toByteArray());
  }
}
