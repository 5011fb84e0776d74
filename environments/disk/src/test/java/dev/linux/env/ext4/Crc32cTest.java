package dev.linux.env.ext4;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cTest {

  static int standard(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return (int) crc.getValue();
  }

  @Test
  void knownVectors() {
    // the CRC-32C check value and the iSCSI (RFC 3720) test patterns
    assertEquals(0xE3069283, ~Crc32c.update(~0, "123456789".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0x8A9136AA, ~Crc32c.update(~0, new byte[32]));
    byte[] ones = new byte[32];
    java.util.Arrays.fill(ones, (byte) 0xFF);
    assertEquals(0x62A8AB43, ~Crc32c.update(~0, ones));
    byte[] ascending = new byte[32];
    for (int i = 0; i < 32; i++) {
      ascending[i] = (byte) i;
    }
    assertEquals(0x46DD794E, ~Crc32c.update(~0, ascending));
    assertEquals(0, Crc32c.update(0, new byte[0]));
  }

  @Test
  void matchesTheJdkForEveryLengthAndAlignment() {
    Random random = new Random(3);
    byte[] data = new byte[300];
    random.nextBytes(data);
    for (int offset = 0; offset < 5; offset++) {
      for (int length = 0; offset + length <= data.length; length += 7) {
        byte[] slice = java.util.Arrays.copyOfRange(data, offset, offset + length);
        assertEquals(standard(slice), ~Crc32c.update(~0, data, offset, length));
      }
    }
  }

  @Test
  void seedsChainLikeOneLongUpdate() {
    byte[] a = "filesystem uuid!".getBytes(StandardCharsets.US_ASCII);
    byte[] b = "and then the block".getBytes(StandardCharsets.US_ASCII);
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    int seed = Crc32c.update(~0, a);
    assertEquals(~standard(both), Crc32c.update(seed, b));
    assertEquals(Crc32c.update(seed, new byte[] {4, 3, 2, 1}), Crc32c.updateInt(seed, 0x01020304));
    assertEquals(Crc32c.update(seed, new byte[] {8, 7, 6, 5, 4, 3, 2, 1}),
        Crc32c.updateLong(seed, 0x0102030405060708L));
  }
}
