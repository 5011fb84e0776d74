package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ext4XattrTest {
  static final Instant T = Instant.parse("2024-05-06T07:08:09Z");

  @TempDir Path dir;

  /** security.capability v2: cap_net_bind_service (bit 10) permitted and effective. */
  static byte[] capability() {
    ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x02000001).putInt(1 << 10).putInt(0).putInt(0).putInt(0);
    return b.array();
  }

  /** A POSIX ACL in xattr form: user::rwx user:1000:r-x group::r-x mask::r-x other::--- */
  static byte[] acl() {
    ByteBuffer b = ByteBuffer.allocate(4 + 5 * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(2);
    b.putShort((short) 0x01).putShort((short) 7).putInt(-1);
    b.putShort((short) 0x02).putShort((short) 5).putInt(1000);
    b.putShort((short) 0x04).putShort((short) 5).putInt(-1);
    b.putShort((short) 0x10).putShort((short) 5).putInt(-1);
    b.putShort((short) 0x20).putShort((short) 0).putInt(-1);
    return b.array();
  }

  static FileMeta meta(int mode, Map<String, byte[]> xattrs) {
    return new FileMeta(mode, 0, 0, T, null, null, xattrs);
  }

  static void assertXattrs(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (var e : expected.entrySet()) {
      assertArrayEquals(e.getValue(), actual.get(e.getKey()), e.getKey());
    }
  }

  @Test
  void attributesInTheInodeInABlockAndSharedBlocks() throws IOException {
    Map<String, byte[]> small = Map.of("security.capability", capability());
    Map<String, byte[]> big = new LinkedHashMap<>();
    big.put("user.comment", "x".repeat(300).getBytes());
    big.put("trusted.overlay.opaque", "y".getBytes());
    big.put("user.empty", new byte[0]);
    big.put("system.posix_acl_access", acl());
    big.put("system.posix_acl_default", acl());
    big.put("security.selinux", "system_u:object_r:bin_t:s0\0".getBytes());
    Path img = dir.resolve("x.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(64 << 20))) {
      w.regularFile("/ping", meta(0755, small), 4, new ByteArrayInputStream("ping".getBytes()));
      w.directory("/acl", meta(0750, big));
      for (int i = 0; i < 5; i++) {
        w.special("/dev" + i, SpecialType.CHARACTER_DEVICE, 1, i, meta(0600, big));
      }
      w.symlink("/link", "ping", meta(0777, Map.of("user.a", new byte[] {1, 2, 3})));
    }
    try (Ext4Reader r = Ext4Reader.open(img)) {
      Ext4Reader.Inode ping = r.require("/ping");
      assertXattrs(small, r.xattrs(ping));
      assertEquals(0, r.xattrBlockRefcount(ping), "a capability fits in the inode");
      assertEquals(8, ping.blocks512());
      Ext4Reader.Inode acl = r.require("/acl");
      assertXattrs(big, r.xattrs(acl));
      assertEquals(6, r.xattrBlockRefcount(acl), "one block shared by the directory and five devices");
      assertEquals(8 + 8, acl.blocks512(), "the xattr block counts in i_blocks");
      assertXattrs(big, r.xattrs(r.require("/dev4")));
      assertXattrs(Map.of("user.a", new byte[] {1, 2, 3}), r.xattrs(r.require("/link")));
    }
  }

  @Test
  void aSharedBlockServesAtMost1024Inodes() throws IOException {
    Map<String, byte[]> big = Map.of("user.blob", new byte[1000]);
    Path img = dir.resolve("refs.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(64 << 20))) {
      for (int i = 0; i < 1500; i++) {
        w.regularFile("/f" + i, meta(0644, big), 0, java.io.InputStream.nullInputStream());
      }
    }
    try (Ext4Reader r = Ext4Reader.open(img)) {
      java.util.Map<Integer, Integer> refcounts = new java.util.TreeMap<>();
      for (int i = 0; i < 1500; i++) {
        Ext4Reader.Inode f = r.require("/f" + i);
        refcounts.merge(r.xattrBlockRefcount(f), 1, Integer::sum);
        if (i % 100 == 0) {
          assertXattrs(big, r.xattrs(f));
        }
      }
      assertEquals(Map.of(1024, 1024, 476, 476), refcounts, "inodes by the refcount of their block");
    }
  }

  @Test
  void aclsAreStoredInExt4sCompactForm() {
    byte[] disk = Xattrs.aclToDisk(acl(), "test");
    // header, 4 short entries of 4 bytes, one named entry of 8
    assertEquals(4 + 4 * 4 + 8, disk.length);
    assertEquals(1, ByteBuffer.wrap(disk).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
    assertArrayEquals(acl(), Xattrs.aclFromDisk(disk));
  }

  @Test
  void refusesWhatCannotBeStored() throws IOException {
    Path img = dir.resolve("bad.img");
    try (Ext4Writer w = Ext4Writer.create(img, Ext4Options.ofSize(64 << 20))) {
      Map<String, byte[]> huge = Map.of("user.big", new byte[5000]);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> w.directory("/d", meta(0755, huge)));
      assertTrue(e.getMessage().contains("/d"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> w.directory("/e", meta(0755, Map.of("bogus.name", new byte[1]))));
      Map<String, byte[]> many = new HashMap<>();
      for (int i = 0; i < 200; i++) {
        many.put("user.attribute-number-" + i, new byte[8]);
      }
      assertThrows(IllegalArgumentException.class, () -> w.directory("/f", meta(0755, many)));
    }
  }
}
