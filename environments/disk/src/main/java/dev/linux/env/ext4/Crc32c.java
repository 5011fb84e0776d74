package dev.linux.env.ext4;

import java.nio.ByteBuffer;

/**
 * CRC-32C (Castagnoli) as EXT4 and jbd2 use it: the running value is passed in and returned
 * without the final inversion, so a checksum can be seeded with the checksum of other data (the
 * filesystem UUID, an inode number). {@code update(~0, data)} is the bitwise complement of the
 * standard CRC-32C of {@code data}. Table-driven, four bytes per step ("slicing by 4").
 */
final class Crc32c {
  private Crc32c() {}

  private static final int POLY = 0x82F63B78; // reflected Castagnoli polynomial
  private static final int[][] TABLE = new int[4][256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
      }
      TABLE[0][n] = c;
    }
    for (int n = 0; n < 256; n++) {
      for (int t = 1; t < 4; t++) {
        int prev = TABLE[t - 1][n];
        TABLE[t][n] = (prev >>> 8) ^ TABLE[0][prev & 0xFF];
      }
    }
  }

  static int update(int crc, byte[] data, int offset, int length) {
    int[] t0 = TABLE[0];
    int[] t1 = TABLE[1];
    int[] t2 = TABLE[2];
    int[] t3 = TABLE[3];
    int i = offset;
    int end = offset + length;
    for (; i + 4 <= end; i += 4) {
      crc ^= (data[i] & 0xFF) | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF) << 16
          | (data[i + 3] & 0xFF) << 24;
      crc = t3[crc & 0xFF] ^ t2[(crc >>> 8) & 0xFF] ^ t1[(crc >>> 16) & 0xFF] ^ t0[crc >>> 24];
    }
    for (; i < end; i++) {
      crc = (crc >>> 8) ^ t0[(crc ^ data[i]) & 0xFF];
    }
    return crc;
  }

  static int update(int crc, byte[] data) {
    return update(crc, data, 0, data.length);
  }

  /** Updates with bytes {@code [offset, offset + length)} of a heap buffer (position ignored). */
  static int update(int crc, ByteBuffer buffer, int offset, int length) {
    return update(crc, buffer.array(), buffer.arrayOffset() + offset, length);
  }

  /** Updates with the four little-endian bytes of {@code value}. */
  static int updateInt(int crc, int value) {
    return update(crc, new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
        (byte) (value >>> 24)}, 0, 4);
  }

  /** Updates with the eight little-endian bytes of {@code value}. */
  static int updateLong(int crc, long value) {
    return updateInt(updateInt(crc, (int) value), (int) (value >>> 32));
  }
}
