package dev.linux.env.ext4;

import java.io.IOException;

/**
 * Hands out data blocks in disk order, stepping over superblock copies. Blocks are never handed
 * out twice, even when the entry that used them is later removed: the bitmaps written at the end
 * mark only blocks that live entries still reference, so abandoned blocks simply end up free.
 */
final class BlockAllocator {
  /** A run of consecutive blocks. */
  record Run(long start, long length) {}

  private final Layout layout;
  private long cursor;

  BlockAllocator(Layout layout, long start) {
    this.layout = layout;
    this.cursor = start;
  }

  /**
   * Allocates between 1 and {@code wanted} consecutive blocks.
   *
   * @param stillNeeded blocks the caller knows it needs after these, for the error message
   */
  Run allocate(long wanted, long stillNeeded) throws IOException {
    long start = layout.nextRun(cursor, 1);
    if (start >= layout.blocksCount) {
      throw full(wanted + stillNeeded);
    }
    long limit = Math.min(layout.blocksCount, layout.nextCopyAfter((int) (start / Layout.BLOCKS_PER_GROUP)));
    long length = Math.min(wanted, limit - start);
    cursor = start + length;
    return new Run(start, length);
  }

  /** Allocates {@code wanted} consecutive blocks if a run that long exists ahead, else null. */
  Run allocateContiguous(long wanted) {
    long start = layout.nextRun(cursor, wanted);
    if (start + wanted > layout.blocksCount) {
      return null;
    }
    cursor = start + wanted;
    return new Run(start, wanted);
  }

  /** Blocks from the start of the disk up to the allocation point. */
  long used() {
    return cursor;
  }

  IOException full(long stillNeeded) {
    return new IOException(Ext4Writer.tooSmall((cursor + stillNeeded) * Layout.BLOCK_SIZE));
  }
}
