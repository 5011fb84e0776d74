package dev.linux.env.ext4;

/**
 * The name hashes of hashed (dir_index) directories: half-MD4 and TEA, seeded with the
 * superblock's {@code s_hash_seed}, reading name bytes as signed or unsigned chars as the
 * superblock's flags say. Only the major hash orders entries; its lowest bit is always clear
 * (index entries use it to mark hash collisions continuing in the next block).
 */
final class DirectoryHash {
  static final int LEGACY = 0;
  static final int HALF_MD4 = 1;
  static final int TEA = 2;

  private static final int[] DEFAULT_SEED = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

  private final int version;
  private final int[] seed;
  private final boolean unsigned;

  /**
   * @param version {@link #HALF_MD4} or {@link #TEA}
   * @param seed the four words of s_hash_seed (all zero means the default seed)
   * @param unsigned whether name bytes count as unsigned chars
   */
  DirectoryHash(int version, int[] seed, boolean unsigned) {
    if (version != HALF_MD4 && version != TEA) {
      throw new IllegalArgumentException("unsupported directory hash version " + version);
    }
    this.version = version;
    boolean zero = seed[0] == 0 && seed[1] == 0 && seed[2] == 0 && seed[3] == 0;
    this.seed = zero ? DEFAULT_SEED.clone() : seed.clone();
    this.unsigned = unsigned;
  }

  /** The major hash of a name, as stored in index entries. */
  int hash(byte[] name) {
    int[] buf = seed.clone();
    int[] in = new int[8];
    int rounds = version == HALF_MD4 ? 8 : 4;
    int length = name.length;
    int p = 0;
    do {
      toWords(name, p, length, in, rounds);
      if (version == HALF_MD4) {
        halfMd4(buf, in);
      } else {
        tea(buf, in);
      }
      length -= rounds * 4;
      p += rounds * 4;
    } while (length > 0);
    int hash = buf[version == HALF_MD4 ? 1 : 0] & ~1;
    if (hash == (0x7FFFFFFF << 1)) {
      hash = (0x7FFFFFFF - 1) << 1;
    }
    return hash;
  }

  /** Packs up to {@code words * 4} name bytes into words, padding with the length pattern. */
  private void toWords(byte[] name, int offset, int length, int[] out, int words) {
    int pad = length | (length << 8);
    pad |= pad << 16;
    int value = pad;
    int n = Math.min(length, words * 4);
    int w = 0;
    for (int i = 0; i < n; i++) {
      int c = unsigned ? name[offset + i] & 0xFF : name[offset + i];
      value = c + (value << 8);
      if (i % 4 == 3) {
        out[w++] = value;
        value = pad;
      }
    }
    if (w < words) {
      out[w++] = value;
    }
    while (w < words) {
      out[w++] = pad;
    }
  }

  private static int f(int x, int y, int z) {
    return z ^ (x & (y ^ z));
  }

  private static int g(int x, int y, int z) {
    return (x & y) + ((x ^ y) & z);
  }

  private static int h(int x, int y, int z) {
    return x ^ y ^ z;
  }

  private static void halfMd4(int[] buf, int[] in) {
    final int k2 = 0x5A827999;
    final int k3 = 0x6ED9EBA1;
    int a = buf[0];
    int b = buf[1];
    int c = buf[2];
    int d = buf[3];
    a = Integer.rotateLeft(a + f(b, c, d) + in[0], 3);
    d = Integer.rotateLeft(d + f(a, b, c) + in[1], 7);
    c = Integer.rotateLeft(c + f(d, a, b) + in[2], 11);
    b = Integer.rotateLeft(b + f(c, d, a) + in[3], 19);
    a = Integer.rotateLeft(a + f(b, c, d) + in[4], 3);
    d = Integer.rotateLeft(d + f(a, b, c) + in[5], 7);
    c = Integer.rotateLeft(c + f(d, a, b) + in[6], 11);
    b = Integer.rotateLeft(b + f(c, d, a) + in[7], 19);

    a = Integer.rotateLeft(a + g(b, c, d) + in[1] + k2, 3);
    d = Integer.rotateLeft(d + g(a, b, c) + in[3] + k2, 5);
    c = Integer.rotateLeft(c + g(d, a, b) + in[5] + k2, 9);
    b = Integer.rotateLeft(b + g(c, d, a) + in[7] + k2, 13);
    a = Integer.rotateLeft(a + g(b, c, d) + in[0] + k2, 3);
    d = Integer.rotateLeft(d + g(a, b, c) + in[2] + k2, 5);
    c = Integer.rotateLeft(c + g(d, a, b) + in[4] + k2, 9);
    b = Integer.rotateLeft(b + g(c, d, a) + in[6] + k2, 13);

    a = Integer.rotateLeft(a + h(b, c, d) + in[3] + k3, 3);
    d = Integer.rotateLeft(d + h(a, b, c) + in[7] + k3, 9);
    c = Integer.rotateLeft(c + h(d, a, b) + in[2] + k3, 11);
    b = Integer.rotateLeft(b + h(c, d, a) + in[6] + k3, 15);
    a = Integer.rotateLeft(a + h(b, c, d) + in[1] + k3, 3);
    d = Integer.rotateLeft(d + h(a, b, c) + in[5] + k3, 9);
    c = Integer.rotateLeft(c + h(d, a, b) + in[0] + k3, 11);
    b = Integer.rotateLeft(b + h(c, d, a) + in[4] + k3, 15);

    buf[0] += a;
    buf[1] += b;
    buf[2] += c;
    buf[3] += d;
  }

  private static void tea(int[] buf, int[] in) {
    int sum = 0;
    int b0 = buf[0];
    int b1 = buf[1];
    int a = in[0];
    int b = in[1];
    int c = in[2];
    int d = in[3];
    for (int n = 0; n < 16; n++) {
      sum += 0x9E3779B9;
      b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >>> 5) + b);
      b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >>> 5) + d);
    }
    buf[0] += b0;
    buf[1] += b1;
  }
}
