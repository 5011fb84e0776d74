package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4Format.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Encodes the superblock, the group descriptor table and the jbd2 journal superblock. */
final class MetadataEncoder {
  private MetadataEncoder() {}

  /** What a group descriptor records besides the locations, gathered while finishing. */
  record GroupState(
      int freeBlocks, int freeInodes, int usedDirs, int flags, int itableUnused,
      int blockBitmapCsum, int inodeBitmapCsum) {}

  static final int BG_INODE_UNINIT = 0x1;
  static final int BG_BLOCK_UNINIT = 0x2;
  static final int BG_INODE_ZEROED = 0x4;

  /** The descriptor table for all groups, each descriptor checksummed. */
  static byte[] groupDescriptors(Layout layout, GroupState[] states, Checksums checksums) {
    ByteBuffer b = ByteBuffer.allocate(layout.gdtBlocks * Layout.BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    for (int g = 0; g < layout.groupCount; g++) {
      encodeDescriptor(b, g * Layout.DESC_SIZE, layout.blockBitmap[g], layout.inodeBitmap[g],
          layout.inodeTable[g], states[g]);
      sealDescriptor(b, g * Layout.DESC_SIZE, g, checksums);
    }
    return b.array();
  }

  static void encodeDescriptor(
      ByteBuffer b, int o, long blockBitmap, long inodeBitmap, long inodeTable, GroupState s) {
    b.putInt(o, (int) blockBitmap);
    b.putInt(o + 0x04, (int) inodeBitmap);
    b.putInt(o + 0x08, (int) inodeTable);
    b.putInt(o + 0x20, (int) (blockBitmap >>> 32));
    b.putInt(o + 0x24, (int) (inodeBitmap >>> 32));
    b.putInt(o + 0x28, (int) (inodeTable >>> 32));
    updateDescriptor(b, o, s);
  }

  /** Writes the counts, flags and bitmap checksums of a descriptor (not its own checksum). */
  static void updateDescriptor(ByteBuffer b, int o, GroupState s) {
    b.putShort(o + 0x0C, (short) s.freeBlocks());
    b.putShort(o + 0x0E, (short) s.freeInodes());
    b.putShort(o + 0x10, (short) s.usedDirs());
    b.putShort(o + 0x12, (short) s.flags());
    b.putShort(o + 0x18, (short) s.blockBitmapCsum());
    b.putShort(o + 0x1A, (short) s.inodeBitmapCsum());
    b.putShort(o + 0x1C, (short) s.itableUnused());
    b.putShort(o + 0x2C, (short) (s.freeBlocks() >>> 16));
    b.putShort(o + 0x2E, (short) (s.freeInodes() >>> 16));
    b.putShort(o + 0x30, (short) (s.usedDirs() >>> 16));
    b.putShort(o + 0x32, (short) (s.itableUnused() >>> 16));
    b.putShort(o + 0x38, (short) (s.blockBitmapCsum() >>> 16));
    b.putShort(o + 0x3A, (short) (s.inodeBitmapCsum() >>> 16));
  }

  static void sealDescriptor(ByteBuffer b, int o, int group, Checksums checksums) {
    b.putShort(o + 0x1E, (short) checksums.groupDescriptor(group, b, o, Layout.DESC_SIZE));
  }

  /**
   * The 1024-byte superblock.
   *
   * @param journalRoot the journal inode's i_block (backed up in s_jnl_blocks), null without one
   */
  static byte[] superblock(
      Layout layout, Ext4Options options, long freeBlocks, long freeInodes, byte[] journalRoot,
      long journalBytes, int group) {
    ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    long created = options.createdAt().getEpochSecond();
    b.putInt(0x00, (int) layout.totalInodes());
    b.putInt(0x04, (int) layout.blocksCount);
    b.putInt(0x0C, (int) freeBlocks);
    b.putInt(0x10, (int) freeInodes);
    b.putInt(0x14, 0); // first data block: 0 with 4 KiB blocks
    b.putInt(0x18, 2); // log2(block size) - 10
    b.putInt(0x1C, 2);
    b.putInt(0x20, Layout.BLOCKS_PER_GROUP);
    b.putInt(0x24, Layout.BLOCKS_PER_GROUP);
    b.putInt(0x28, layout.inodesPerGroup);
    b.putInt(0x30, (int) created); // last write
    b.putShort(0x36, (short) -1); // no forced check by mount count
    b.putShort(0x38, (short) SUPERBLOCK_MAGIC);
    b.putShort(0x3A, (short) 1); // cleanly unmounted
    b.putShort(0x3C, (short) 1); // on errors: continue
    b.putInt(0x40, (int) created); // last check
    b.putInt(0x4C, 1); // dynamic revision
    b.putInt(0x54, Layout.FIRST_INO);
    b.putShort(0x58, (short) Layout.INODE_SIZE);
    b.putShort(0x5A, (short) group);
    int compat = COMPAT_EXT_ATTR | COMPAT_DIR_INDEX | (journalRoot != null ? COMPAT_HAS_JOURNAL : 0);
    b.putInt(0x5C, compat);
    b.putInt(0x60, INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG);
    b.putInt(0x64, RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_HUGE_FILE
        | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM);
    b.put(0x68, uuidBytes(options.uuid()));
    byte[] label = options.label().getBytes(StandardCharsets.UTF_8);
    b.put(0x78, label);
    if (journalRoot != null) {
      b.putInt(0xE0, JOURNAL_INO);
    }
    // directory hash seed: derived from the UUID so equal options give equal images
    b.put(0xEC, hashSeed(options.uuid()));
    b.put(0xFC, (byte) 1); // half_md4
    b.putShort(0xFE, (short) Layout.DESC_SIZE);
    b.putInt(0x100, 0x000C); // default mount options: user_xattr, acl
    b.putInt(0x108, (int) created); // mkfs time
    if (journalRoot != null) {
      b.put(0xFD, (byte) 1); // s_jnl_blocks holds a copy of the journal inode's blocks
      b.put(0x10C, journalRoot, 0, 60);
      b.putInt(0x10C + 60, (int) (journalBytes >>> 32));
      b.putInt(0x10C + 64, (int) journalBytes);
    }
    b.putInt(0x150, (int) (layout.blocksCount >>> 32));
    b.putInt(0x158, (int) (freeBlocks >>> 32));
    b.putShort(0x15C, (short) EXTRA_ISIZE);
    b.putShort(0x15E, (short) EXTRA_ISIZE);
    b.putInt(0x160, 0x1); // signed directory hash
    b.put(0x174, (byte) Layout.LOG_GROUPS_PER_FLEX);
    b.put(0x274, (byte) (created >>> 32)); // s_wtime_hi
    b.put(0x276, (byte) (created >>> 32)); // s_mkfs_time_hi
    b.put(0x277, (byte) (created >>> 32)); // s_lastcheck_hi
    b.put(0x175, (byte) 1); // checksum type: crc32c
    Checksums.sealSuperblock(b);
    return b.array();
  }

  /** A clean (nothing to replay) jbd2 version 2 superblock; jbd2 is big-endian. */
  static byte[] journalSuperblock(int journalBlocks, UUID uuid) {
    ByteBuffer b = ByteBuffer.allocate(Layout.BLOCK_SIZE).order(ByteOrder.BIG_ENDIAN);
    b.putInt(0x00, JOURNAL_MAGIC);
    b.putInt(0x04, 4); // superblock v2
    b.putInt(0x08, 0);
    b.putInt(0x0C, Layout.BLOCK_SIZE);
    b.putInt(0x10, journalBlocks);
    b.putInt(0x14, 1); // first log block
    b.putInt(0x18, 1); // first expected commit id
    b.putInt(0x1C, 0); // s_start 0: the journal is empty
    b.put(0x30, uuidBytes(uuid));
    b.putInt(0x40, 1); // one user: this filesystem
    return b.array();
  }

  /** s_hash_seed: derived from the UUID so equal options give equal images. */
  static byte[] hashSeed(UUID uuid) {
    return uuidBytes(UUID.nameUUIDFromBytes(uuidBytes(uuid)));
  }

  /** The directory hash this filesystem uses: half-MD4 over signed chars, seeded per filesystem. */
  static DirectoryHash directoryHash(UUID uuid) {
    ByteBuffer seed = ByteBuffer.wrap(hashSeed(uuid)).order(ByteOrder.LITTLE_ENDIAN);
    return new DirectoryHash(DirectoryHash.HALF_MD4,
        new int[] {seed.getInt(), seed.getInt(), seed.getInt(), seed.getInt()}, false);
  }

  static byte[] uuidBytes(UUID uuid) {
    return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
        .putLong(uuid.getLeastSignificantBits()).array();
  }
}
