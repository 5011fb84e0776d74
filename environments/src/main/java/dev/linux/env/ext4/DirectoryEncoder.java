package dev.linux.env.ext4;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packs directory entries into linear (unindexed) directory blocks: an entry never crosses a
 * block, and the last entry of each block stretches to the block's end.
 */
final class DirectoryEncoder {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteBuffer block = ByteBuffer.allocate(Layout.BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
  /** Position of the last entry in the current block, to stretch it when the block is closed. */
  private int lastEntry = -1;

  void add(byte[] name, int ino, int fileType) {
    int length = recordLength(name.length);
    if (block.position() + length > Layout.BLOCK_SIZE) {
      finishBlock();
    }
    lastEntry = block.position();
    block.putInt(ino).putShort((short) length).put((byte) name.length).put((byte) fileType).put(name);
    block.position(lastEntry + length);
  }

  /** The encoded blocks, padded with empty blocks up to {@code minBlocks}. */
  byte[] finish(int minBlocks) {
    if (lastEntry >= 0) {
      finishBlock();
    }
    while (out.size() < minBlocks * Layout.BLOCK_SIZE) {
      block.clear();
      block.putInt(0).putShort((short) Layout.BLOCK_SIZE);
      lastEntry = 0;
      out.writeBytes(block.array());
      java.util.Arrays.fill(block.array(), (byte) 0);
    }
    return out.toByteArray();
  }

  private void finishBlock() {
    block.putShort(lastEntry + 4, (short) (Layout.BLOCK_SIZE - lastEntry));
    out.writeBytes(block.array());
    java.util.Arrays.fill(block.array(), (byte) 0);
    block.clear();
    lastEntry = -1;
  }

  static int recordLength(int nameLength) {
    return (8 + nameLength + 3) & ~3;
  }
}
