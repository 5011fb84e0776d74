package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Expected values were computed with e2fsprogs' {@code debugfs -R "dx_hash -h ALG -s SEED NAME"}. */
class DirectoryHashTest {
  static final int[] SEED = {0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00};

  static int hash(int version, int[] seed, String name) {
    return new DirectoryHash(version, seed, false).hash(name.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void halfMd4() {
    assertEquals(0xf96a38be, hash(DirectoryHash.HALF_MD4, SEED, "a"));
    assertEquals(0x73f6f392, hash(DirectoryHash.HALF_MD4, SEED, "entry-with-a-longish-name-12345"));
    assertEquals(0x70071946, hash(DirectoryHash.HALF_MD4, SEED, "x".repeat(255)));
    assertEquals(0x4ce59de2, hash(DirectoryHash.HALF_MD4, SEED, "é-unicode"));
    assertEquals(0xb500f12c, hash(DirectoryHash.HALF_MD4, SEED, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"));
    assertEquals(0xd5fa7d7a, hash(DirectoryHash.HALF_MD4, new int[4], "a"), "zero seed means the default");
    assertEquals(0x45d71c04, hash(DirectoryHash.HALF_MD4, new int[4], "entry-with-a-longish-name-12345"));
  }

  @Test
  void tea() {
    assertEquals(0x4059fc3e, hash(DirectoryHash.TEA, SEED, "a"));
    assertEquals(0xa5bec6ac, hash(DirectoryHash.TEA, SEED, "entry-with-a-longish-name-12345"));
    assertEquals(0x4ba0a9a2, hash(DirectoryHash.TEA, SEED, "x".repeat(255)));
    assertEquals(0x50d0c962, hash(DirectoryHash.TEA, SEED, "é-unicode"));
    assertEquals(0x70d783ce, hash(DirectoryHash.TEA, SEED, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"));
  }

  @Test
  void legacyHashIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new DirectoryHash(DirectoryHash.LEGACY, SEED, false));
  }
}
