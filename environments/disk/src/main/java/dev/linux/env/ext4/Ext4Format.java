package dev.linux.env.ext4;

import java.time.Instant;

/** Constants and small encodings of the EXT4 on-disk format shared by the writer and the reader. */
final class Ext4Format {
  private Ext4Format() {}

  static final int SUPERBLOCK_OFFSET = 1024;
  static final int SUPERBLOCK_MAGIC = 0xEF53;
  static final int EXTENT_MAGIC = 0xF30A;
  static final int JOURNAL_MAGIC = 0xC03B3998;

  static final int ROOT_INO = 2;
  static final int JOURNAL_INO = 8;

  static final int COMPAT_HAS_JOURNAL = 0x4;
  static final int COMPAT_EXT_ATTR = 0x8;
  static final int COMPAT_DIR_INDEX = 0x20;

  static final int INCOMPAT_FILETYPE = 0x2;
  static final int INCOMPAT_EXTENTS = 0x40;
  static final int INCOMPAT_64BIT = 0x80;
  static final int INCOMPAT_META_BG = 0x10;
  static final int INCOMPAT_FLEX_BG = 0x200;

  static final int RO_COMPAT_SPARSE_SUPER = 0x1;
  static final int RO_COMPAT_LARGE_FILE = 0x2;
  static final int RO_COMPAT_HUGE_FILE = 0x8;
  static final int RO_COMPAT_DIR_NLINK = 0x20;
  static final int RO_COMPAT_EXTRA_ISIZE = 0x40;
  static final int RO_COMPAT_METADATA_CSUM = 0x400;

  static final int INODE_FLAG_EXTENTS = 0x80000;
  static final int INODE_FLAG_INDEX = 0x1000;
  static final int EXTRA_ISIZE = 32;

  static final int S_IFIFO = 0010000;
  static final int S_IFCHR = 0020000;
  static final int S_IFDIR = 0040000;
  static final int S_IFBLK = 0060000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;
  static final int S_IFMT = 0170000;

  static final int FT_REG = 1;
  static final int FT_DIR = 2;
  static final int FT_CHR = 3;
  static final int FT_BLK = 4;
  static final int FT_FIFO = 5;
  static final int FT_SYMLINK = 7;

  /** A symlink target shorter than this is stored in the inode itself. */
  static final int FAST_SYMLINK_MAX = 60;

  private static final long MIN_SECONDS = Integer.MIN_VALUE;
  private static final long MAX_SECONDS = Integer.MAX_VALUE + (3L << 32);

  /** The low 32 bits of an inode time (signed seconds since the epoch). */
  static int timeLow(Instant t) {
    return (int) clampSeconds(t);
  }

  /** The extra time word: two epoch bits extending the seconds past 2038, then nanoseconds. */
  static int timeExtra(Instant t) {
    long seconds = clampSeconds(t);
    long epoch = ((seconds - (int) seconds) >> 32) & 3;
    return (int) (epoch | ((long) t.getNano() << 2));
  }

  static Instant decodeTime(int low, int extra) {
    long seconds = (long) low + ((long) (extra & 3) << 32);
    return Instant.ofEpochSecond(seconds, (extra >>> 2) & 0x3FFF_FFFF);
  }

  private static long clampSeconds(Instant t) {
    return Math.max(MIN_SECONDS, Math.min(MAX_SECONDS, t.getEpochSecond()));
  }

  /** The i_block words of a device inode, encoded as the kernel does (old format when it fits). */
  static int[] encodeDevice(int major, int minor) {
    if (major < 256 && minor < 256) {
      return new int[] {(major << 8) | minor, 0, 0};
    }
    return new int[] {0, (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12), 0};
  }

  /** Decodes {@link #encodeDevice} into {major, minor}. */
  static int[] decodeDevice(int word0, int word1) {
    if (word0 != 0) {
      return new int[] {(word0 >>> 8) & 0xFF, word0 & 0xFF};
    }
    return new int[] {(word1 & 0xFFF00) >>> 8, (word1 & 0xFF) | ((word1 >>> 12) & 0xFFF00)};
  }
}
