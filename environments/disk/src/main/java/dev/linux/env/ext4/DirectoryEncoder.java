package dev.linux.env.ext4;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Packs directory entries into linear directory blocks: an entry never crosses a block, the last
 * entry of each block stretches to the checksum tail, and every block ends with the 12-byte
 * {@code ext4_dir_entry_tail} that metadata_csum requires.
 */
final class DirectoryEncoder {
  static final int BLOCK = Layout.BLOCK_SIZE;
  /** Room for entries in one block. */
  static final int CAPACITY = BLOCK - Checksums.DIR_TAIL_SIZE;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteBuffer block = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
  private final int inodeSeed;
  /** Position of the last entry in the current block, to stretch it when the block is closed. */
  private int lastEntry = -1;

  /** @param inodeSeed the directory inode's checksum seed, for the block tails */
  DirectoryEncoder(int inodeSeed) {
    this.inodeSeed = inodeSeed;
  }

  /** Whether an entry with a name of {@code nameLength} bytes fits in the current block. */
  boolean fits(int nameLength) {
    return block.position() + recordLength(nameLength) <= CAPACITY;
  }

  void add(byte[] name, int ino, int fileType) {
    int length = recordLength(name.length);
    if (block.position() + length > CAPACITY) {
      finishBlock();
    }
    lastEntry = block.position();
    block.putInt(ino).putShort((short) length).put((byte) name.length).put((byte) fileType).put(name);
    block.position(lastEntry + length);
  }

  /** Closes the current block (if it holds entries) so the next entry starts a new one. */
  void endBlock() {
    if (lastEntry >= 0) {
      finishBlock();
    }
  }

  /** Blocks completed so far. */
  int blocks() {
    return out.size() / BLOCK;
  }

  /** The encoded blocks, padded with empty blocks up to {@code minBlocks}. */
  byte[] finish(int minBlocks) {
    endBlock();
    while (out.size() < minBlocks * BLOCK) {
      block.putInt(0).putShort((short) CAPACITY);
      lastEntry = 0;
      finishBlock();
    }
    return out.toByteArray();
  }

  private void finishBlock() {
    block.putShort(lastEntry + 4, (short) (CAPACITY - lastEntry));
    Checksums.sealDirectoryLeaf(inodeSeed, block, BLOCK);
    out.writeBytes(block.array());
    Arrays.fill(block.array(), (byte) 0);
    block.clear();
    lastEntry = -1;
  }

  static int recordLength(int nameLength) {
    return (8 + nameLength + 3) & ~3;
  }
}
