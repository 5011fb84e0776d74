package dev.linux.env.ext4;

import java.io.IOException;

/**
 * The geometry of a new filesystem: block groups, where superblock backups sit (sparse_super),
 * and where every group's bitmaps and inode table go. All bitmaps and inode tables are packed
 * at the front of the disk (flex_bg allows that), so file data that follows is contiguous.
 */
final class Layout {
  static final int BLOCK_SIZE = 4096;
  static final int BLOCKS_PER_GROUP = 8 * BLOCK_SIZE;
  static final int INODE_SIZE = 256;
  static final int INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
  static final int DESC_SIZE = 64;
  static final int LOG_GROUPS_PER_FLEX = 4;
  static final int FIRST_INO = 11;

  final long blocksCount;
  final int groupCount;
  final int inodesPerGroup;
  final int inodeTableBlocks;
  final int gdtBlocks;
  final long[] blockBitmap;
  final long[] inodeBitmap;
  final long[] inodeTable;
  /** First block after the packed metadata; data allocation starts here. */
  final long firstDataBlock;

  Layout(long sizeBytes, long bytesPerInode) throws IOException {
    long blocks = sizeBytes / BLOCK_SIZE;
    if (blocks >= (1L << 31)) {
      throw new IllegalArgumentException("filesystems above 8 TiB are not supported");
    }
    int groups = (int) ((blocks + BLOCKS_PER_GROUP - 1) / BLOCKS_PER_GROUP);
    int gdt = gdtBlocksFor(groups);
    long last = blocks - (long) (groups - 1) * BLOCKS_PER_GROUP;
    if (groups > 1 && last < 1 + gdt + 50) {
      // mke2fs drops a last group too small to hold its own backup and some data
      groups--;
      blocks -= last;
      gdt = gdtBlocksFor(groups);
    }
    if (blocks < 64) {
      throw new IOException(Ext4Writer.tooSmall(64L * BLOCK_SIZE));
    }
    this.blocksCount = blocks;
    this.groupCount = groups;
    this.gdtBlocks = gdt;

    long inodes = Math.max(blocks * BLOCK_SIZE / bytesPerInode, FIRST_INO + 1);
    long perGroup = (inodes + groups - 1) / groups;
    perGroup = (perGroup + INODES_PER_BLOCK - 1) / INODES_PER_BLOCK * INODES_PER_BLOCK;
    perGroup = Math.min(perGroup, BLOCKS_PER_GROUP);
    while (perGroup * groups > 0xFFFF_FFFFL) {
      perGroup -= INODES_PER_BLOCK;
    }
    this.inodesPerGroup = (int) perGroup;
    this.inodeTableBlocks = inodesPerGroup / INODES_PER_BLOCK;

    blockBitmap = new long[groups];
    inodeBitmap = new long[groups];
    inodeTable = new long[groups];
    long cursor = 1 + gdt;
    for (int g = 0; g < groups; g++) {
      cursor = nextRun(cursor, 1);
      blockBitmap[g] = cursor++;
    }
    for (int g = 0; g < groups; g++) {
      cursor = nextRun(cursor, 1);
      inodeBitmap[g] = cursor++;
    }
    for (int g = 0; g < groups; g++) {
      cursor = nextRun(cursor, inodeTableBlocks);
      inodeTable[g] = cursor;
      cursor += inodeTableBlocks;
    }
    if (cursor >= blocks) {
      throw new IOException(Ext4Writer.tooSmall(cursor * 2L * BLOCK_SIZE));
    }
    this.firstDataBlock = cursor;
  }

  static int gdtBlocksFor(int groups) {
    return (int) (((long) groups * DESC_SIZE + BLOCK_SIZE - 1) / BLOCK_SIZE);
  }

  /**
   * Where the {@code index}-th block of group descriptors lives: right after the superblock for
   * the first {@code firstMetaBg} blocks, else (meta_bg) at the start of the first group it
   * describes, after that group's superblock copy if it has one.
   */
  static long descriptorBlock(int index, int firstMetaBg) {
    if (index < firstMetaBg) {
      return 1 + index;
    }
    long group = (long) index * (BLOCK_SIZE / DESC_SIZE);
    return group * BLOCKS_PER_GROUP + (hasSuperblockCopy((int) group) ? 1 : 0);
  }

  long totalInodes() {
    return (long) inodesPerGroup * groupCount;
  }

  long groupStart(int group) {
    return (long) group * BLOCKS_PER_GROUP;
  }

  int blocksInGroup(int group) {
    return (int) Math.min(BLOCKS_PER_GROUP, blocksCount - groupStart(group));
  }

  /** Whether a group holds a copy of the superblock and descriptors (sparse_super: 0, 1, 3^n, 5^n, 7^n). */
  static boolean hasSuperblockCopy(int group) {
    if (group <= 1) {
      return true;
    }
    return isPower(group, 3) || isPower(group, 5) || isPower(group, 7);
  }

  private static boolean isPower(int n, int base) {
    long p = base;
    while (p < n) {
      p *= base;
    }
    return p == n;
  }

  /** Blocks a superblock copy and its descriptor copy occupy at the start of a group. */
  int superblockCopyBlocks(int group) {
    return hasSuperblockCopy(group) ? 1 + gdtBlocks : 0;
  }

  /** The first block of the next group after {@code group} holding a superblock copy, or the end. */
  long nextCopyAfter(int group) {
    for (long g = group + 1; g < groupCount; g++) {
      if (hasSuperblockCopy((int) g)) {
        return g * BLOCKS_PER_GROUP;
      }
      if (g > 1) {
        // jump to the smallest power of 3, 5 or 7 above g
        long next = Math.min(nextPower(g, 3), Math.min(nextPower(g, 5), nextPower(g, 7)));
        g = next - 1;
      }
    }
    return blocksCount;
  }

  private static long nextPower(long above, int base) {
    long p = base;
    while (p <= above) {
      p *= base;
    }
    return p;
  }

  /** Whether {@code block} belongs to a superblock or descriptor copy. */
  boolean isReserved(long block) {
    int group = (int) (block / BLOCKS_PER_GROUP);
    return block % BLOCKS_PER_GROUP < superblockCopyBlocks(group);
  }

  /**
   * The first block at or after {@code from} that starts {@code length} blocks free of superblock
   * copies, or a value past the end when there is none.
   */
  long nextRun(long from, long length) {
    long start = from;
    while (start < blocksCount) {
      int group = (int) (start / BLOCKS_PER_GROUP);
      long reservedEnd = groupStart(group) + superblockCopyBlocks(group);
      if (start < reservedEnd) {
        start = reservedEnd;
        continue;
      }
      long blocked = -1;
      for (long boundary = groupStart(group + 1); boundary < start + length; boundary += BLOCKS_PER_GROUP) {
        if (hasSuperblockCopy((int) (boundary / BLOCKS_PER_GROUP))) {
          blocked = boundary;
          break;
        }
      }
      if (blocked < 0) {
        return start + length <= blocksCount ? start : blocksCount;
      }
      start = blocked;
    }
    return blocksCount;
  }

  /** The journal size mke2fs picks for a filesystem of this many blocks (0 = no journal). */
  static int defaultJournalBlocks(long blocks) {
    if (blocks < 2048) {
      return 0;
    } else if (blocks < 32768) {
      return 1024;
    } else if (blocks < 256 * 1024) {
      return 4096;
    } else if (blocks < 512 * 1024) {
      return 8192;
    } else if (blocks < 4096 * 1024) {
      return 16384;
    } else if (blocks < 8192 * 1024) {
      return 32768;
    } else if (blocks < 16384 * 1024) {
      return 65536;
    } else if (blocks < 32768 * 1024) {
      return 131072;
    }
    return 262144;
  }
}
