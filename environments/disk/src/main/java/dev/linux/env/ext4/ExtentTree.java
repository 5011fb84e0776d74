package dev.linux.env.ext4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a file's {@link ExtentList} as an EXT4 extent tree: up to four extents fit in the inode
 * itself; more go into leaf blocks, indexed from the inode (depth 1) or through further index
 * blocks when there are more than four leaves.
 */
final class ExtentTree {
  private ExtentTree() {}

  static final int ROOT_ENTRIES = 4;
  /** Entries per tree block; the last 4 bytes stay free for a metadata_csum tail. */
  static final int BLOCK_ENTRIES = (Layout.BLOCK_SIZE - 12 - 4) / 12;

  /** Where tree blocks come from and go to. */
  interface BlockStore {
    long allocateBlock() throws IOException;

    void writeBlock(long block, ByteBuffer content) throws IOException;
  }

  /**
   * The encoded root (the inode's 60-byte i_block) and the tree blocks it needs.
   *
   * @param treeBlocks blocks holding leaves and index nodes (they count in i_blocks)
   */
  record Encoded(byte[] root, long[] treeBlocks) {}

  /** Offset of the checksum tail in a tree block. */
  static final int TAIL_OFFSET = 12 + BLOCK_ENTRIES * 12;

  /** @param inodeSeed the owning inode's checksum seed, for the tree blocks' tails */
  static Encoded encode(ExtentList extents, BlockStore store, int inodeSeed) throws IOException {
    int n = extents.size();
    if (n <= ROOT_ENTRIES) {
      ByteBuffer root = buffer(60);
      header(root, n, ROOT_ENTRIES, 0);
      for (int i = 0; i < n; i++) {
        leafEntry(root, extents, i);
      }
      return new Encoded(root.array(), new long[0]);
    }
    List<Long> treeBlocks = new ArrayList<>();
    // level: first logical block and block number of each node of the level being built
    List<long[]> level = new ArrayList<>();
    for (int first = 0; first < n; first += BLOCK_ENTRIES) {
      int count = Math.min(BLOCK_ENTRIES, n - first);
      ByteBuffer leaf = buffer(Layout.BLOCK_SIZE);
      header(leaf, count, BLOCK_ENTRIES, 0);
      for (int i = first; i < first + count; i++) {
        leafEntry(leaf, extents, i);
      }
      long block = store.allocateBlock();
      seal(leaf, inodeSeed);
      store.writeBlock(block, leaf.clear());
      treeBlocks.add(block);
      level.add(new long[] {extents.logical(first), block});
    }
    int depth = 1;
    while (level.size() > ROOT_ENTRIES) {
      List<long[]> upper = new ArrayList<>();
      for (int first = 0; first < level.size(); first += BLOCK_ENTRIES) {
        int count = Math.min(BLOCK_ENTRIES, level.size() - first);
        ByteBuffer node = buffer(Layout.BLOCK_SIZE);
        header(node, count, BLOCK_ENTRIES, depth);
        for (int i = first; i < first + count; i++) {
          indexEntry(node, level.get(i));
        }
        long block = store.allocateBlock();
        seal(node, inodeSeed);
        store.writeBlock(block, node.clear());
        treeBlocks.add(block);
        upper.add(new long[] {level.get(first)[0], block});
      }
      level = upper;
      depth++;
    }
    ByteBuffer root = buffer(60);
    header(root, level.size(), ROOT_ENTRIES, depth);
    for (long[] child : level) {
      indexEntry(root, child);
    }
    return new Encoded(root.array(), treeBlocks.stream().mapToLong(Long::longValue).toArray());
  }

  private static void seal(ByteBuffer block, int inodeSeed) {
    block.putInt(TAIL_OFFSET, Checksums.extentBlock(inodeSeed, block, TAIL_OFFSET));
  }

  private static ByteBuffer buffer(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void header(ByteBuffer b, int entries, int max, int depth) {
    b.putShort((short) Ext4Format.EXTENT_MAGIC).putShort((short) entries).putShort((short) max)
        .putShort((short) depth).putInt(0);
  }

  private static void leafEntry(ByteBuffer b, ExtentList extents, int i) {
    long physical = extents.physical(i);
    b.putInt((int) extents.logical(i)).putShort((short) extents.length(i))
        .putShort((short) (physical >>> 32)).putInt((int) physical);
  }

  private static void indexEntry(ByteBuffer b, long[] child) {
    b.putInt((int) child[0]).putInt((int) child[1]).putShort((short) (child[1] >>> 32)).putShort((short) 0);
  }
}
