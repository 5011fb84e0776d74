package dev.linux.env.ext4;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The metadata_csum checksums of one filesystem. Every checksum starts from the filesystem seed
 * (CRC-32C of the UUID); those of per-inode structures (the inode itself, extent blocks,
 * directory blocks) start from the inode's seed, which folds in its number and generation.
 * Methods that "seal" a structure compute its checksum with the checksum field taken as zero
 * and store it; buffers are little-endian heap buffers.
 */
final class Checksums {
  static final int DIR_TAIL_SIZE = 12;
  static final int DX_TAIL_SIZE = 8;

  private final int fsSeed;

  Checksums(UUID uuid) {
    this.fsSeed = Crc32c.update(~0, MetadataEncoder.uuidBytes(uuid));
  }

  int fsSeed() {
    return fsSeed;
  }

  int inodeSeed(int ino, int generation) {
    return Crc32c.updateInt(Crc32c.updateInt(fsSeed, ino), generation);
  }

  /** The superblock's checksum, over everything before the field at 0x3FC. */
  static int superblock(ByteBuffer sb) {
    return Crc32c.update(~0, sb, 0, 0x3FC);
  }

  static void sealSuperblock(ByteBuffer sb) {
    sb.putInt(0x3FC, superblock(sb));
  }

  /** A group descriptor's 16-bit checksum (bg_checksum at 0x1E counted as zero). */
  int groupDescriptor(int group, ByteBuffer gdt, int offset, int descSize) {
    int crc = Crc32c.updateInt(fsSeed, group);
    crc = Crc32c.update(crc, gdt, offset, 0x1E);
    crc = Crc32c.update(crc, new byte[2], 0, 2);
    crc = Crc32c.update(crc, gdt, offset + 0x20, descSize - 0x20);
    return crc & 0xFFFF;
  }

  /** A block or inode bitmap's checksum; {@code bytes} is blocks (or inodes) per group / 8. */
  int bitmap(byte[] bitmap, int bytes) {
    return Crc32c.update(fsSeed, bitmap, 0, bytes);
  }

  /** An inode's checksum, with i_checksum_lo (0x7C) and i_checksum_hi (0x82) counted as zero. */
  int inode(int ino, ByteBuffer table, int offset, int inodeSize) {
    int generation = table.getInt(offset + 0x64);
    int crc = inodeSeed(ino, generation);
    byte[] zero = new byte[2];
    crc = Crc32c.update(crc, table, offset, 0x7C);
    crc = Crc32c.update(crc, zero, 0, 2);
    crc = Crc32c.update(crc, table, offset + 0x7E, 0x82 - 0x7E);
    crc = Crc32c.update(crc, zero, 0, 2);
    return Crc32c.update(crc, table, offset + 0x84, inodeSize - 0x84);
  }

  void sealInode(int ino, ByteBuffer table, int offset, int inodeSize) {
    int crc = inode(ino, table, offset, inodeSize);
    table.putShort(offset + 0x7C, (short) crc);
    table.putShort(offset + 0x82, (short) (crc >>> 16));
  }

  /** The tail checksum of an extent tree block (it follows the last possible entry). */
  static int extentBlock(int inodeSeed, ByteBuffer block, int tailOffset) {
    return Crc32c.update(inodeSeed, block, 0, tailOffset);
  }

  /** Writes the 12-byte {@code ext4_dir_entry_tail} (a fake entry holding the checksum). */
  static void sealDirectoryLeaf(int inodeSeed, ByteBuffer block, int blockSize) {
    int tail = blockSize - DIR_TAIL_SIZE;
    block.putInt(tail, 0);
    block.putShort(tail + 4, (short) DIR_TAIL_SIZE);
    block.put(tail + 6, (byte) 0);
    block.put(tail + 7, (byte) 0xDE);
    block.putInt(tail + 8, directoryLeaf(inodeSeed, block, blockSize));
  }

  static int directoryLeaf(int inodeSeed, ByteBuffer block, int blockSize) {
    return Crc32c.update(inodeSeed, block, 0, blockSize - DIR_TAIL_SIZE);
  }

  /**
   * The checksum of an htree index block: its used part (up to the last dx_entry), then the
   * tail's reserved word and a zero in place of the checksum.
   */
  static int dxNode(int inodeSeed, ByteBuffer block, int countOffset, int count, int tailOffset) {
    int crc = Crc32c.update(inodeSeed, block, 0, countOffset + count * 8);
    crc = Crc32c.update(crc, block, tailOffset, 4);
    return Crc32c.updateInt(crc, 0);
  }

  /** An xattr block's checksum: its block number, then the block with h_checksum as zero. */
  int xattrBlock(long blockNumber, ByteBuffer block, int blockSize) {
    int crc = Crc32c.updateLong(fsSeed, blockNumber);
    crc = Crc32c.update(crc, block, 0, 0x10);
    crc = Crc32c.updateInt(crc, 0);
    return Crc32c.update(crc, block, 0x14, blockSize - 0x14);
  }
}
