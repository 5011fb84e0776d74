package dev.linux.env.ext4;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes a directory too big for one block as a hash tree (dir_index): logical block 0 is the
 * {@code dx_root} ("." and ".." followed by the index), then, for more leaves than the root can
 * index, one level of {@code dx_node} blocks, then the leaves: ordinary directory blocks holding
 * the entries sorted by name hash. An index entry whose leaf starts with the same hash as the
 * previous leaf ends has its lowest bit set, so lookups continue across the collision.
 */
final class HashTreeEncoder {
  private HashTreeEncoder() {}

  private static final int BLOCK = Layout.BLOCK_SIZE;
  static final int ROOT_COUNT_OFFSET = 0x20;
  static final int NODE_COUNT_OFFSET = 0x08;
  static final int ROOT_LIMIT = (BLOCK - ROOT_COUNT_OFFSET - Checksums.DX_TAIL_SIZE) / 8;
  static final int NODE_LIMIT = (BLOCK - NODE_COUNT_OFFSET - Checksums.DX_TAIL_SIZE) / 8;

  /** One directory entry to place. */
  record Entry(byte[] name, int ino, int fileType) {}

  /** Whether "." , ".." and these entries fit one linear block. */
  static boolean fitsOneBlock(List<Entry> entries) {
    int used = DirectoryEncoder.recordLength(1) + DirectoryEncoder.recordLength(2);
    for (Entry e : entries) {
      used += DirectoryEncoder.recordLength(e.name().length);
      if (used > DirectoryEncoder.CAPACITY) {
        return false;
      }
    }
    return true;
  }

  static byte[] encode(List<Entry> entries, int ino, int parent, DirectoryHash hash, int hashVersion,
      int inodeSeed) {
    int n = entries.size();
    // hash (sign bit flipped, so signed order is unsigned hash order) above the entry's index
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      order[i] = ((long) (hash.hash(entries.get(i).name()) ^ Integer.MIN_VALUE) << 32) | i;
    }
    Arrays.sort(order);

    DirectoryEncoder leaves = new DirectoryEncoder(inodeSeed);
    List<int[]> leafStarts = new ArrayList<>(); // {hash for the index entry, leaf number}
    int previousHash = 0;
    for (int k = 0; k < n; k++) {
      int h = (int) (order[k] >>> 32) ^ Integer.MIN_VALUE;
      Entry e = entries.get((int) order[k]);
      boolean first = k == 0;
      if (!first && !leaves.fits(e.name().length)) {
        leaves.endBlock();
        first = true;
      }
      if (first) {
        int indexHash = leafStarts.isEmpty() ? 0 : (h == previousHash ? h | 1 : h);
        leafStarts.add(new int[] {indexHash, leafStarts.size()});
      }
      leaves.add(e.name(), e.ino(), e.fileType());
      previousHash = h;
    }
    byte[] leafBlocks = leaves.finish(1);
    int leafCount = leafBlocks.length / BLOCK;
    if (leafStarts.isEmpty()) {
      leafStarts.add(new int[] {0, 0});
    }

    int levels;
    int nodeCount;
    if (leafCount <= ROOT_LIMIT) {
      levels = 0;
      nodeCount = 0;
    } else {
      levels = 1;
      nodeCount = (leafCount + NODE_LIMIT - 1) / NODE_LIMIT;
      if (nodeCount > ROOT_LIMIT) {
        throw new IllegalArgumentException("directory too large for a two-level hash tree: "
            + n + " entries");
      }
    }
    int firstLeaf = 1 + nodeCount;
    ByteBuffer out = ByteBuffer.allocate((firstLeaf + leafCount) * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer root = out.slice(0, BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    root.putInt(0, ino).putShort(4, (short) 12).put(6, (byte) 1).put(7, (byte) Ext4Format.FT_DIR)
        .put(8, (byte) '.');
    root.putInt(12, parent).putShort(16, (short) (BLOCK - 12)).put(18, (byte) 2)
        .put(19, (byte) Ext4Format.FT_DIR).put(20, (byte) '.').put(21, (byte) '.');
    root.put(0x1C, (byte) hashVersion).put(0x1D, (byte) 8).put(0x1E, (byte) levels);
    if (levels == 0) {
      List<int[]> index = new ArrayList<>();
      for (int[] start : leafStarts) {
        index.add(new int[] {start[0], firstLeaf + start[1]});
      }
      writeIndex(root, ROOT_COUNT_OFFSET, ROOT_LIMIT, index, inodeSeed);
    } else {
      List<int[]> rootIndex = new ArrayList<>();
      for (int node = 0; node < nodeCount; node++) {
        List<int[]> index = new ArrayList<>();
        int from = node * NODE_LIMIT;
        int to = Math.min(leafStarts.size(), from + NODE_LIMIT);
        for (int i = from; i < to; i++) {
          index.add(new int[] {i == from ? 0 : leafStarts.get(i)[0], firstLeaf + leafStarts.get(i)[1]});
        }
        rootIndex.add(new int[] {leafStarts.get(from)[0], 1 + node});
        ByteBuffer block = out.slice((1 + node) * BLOCK, BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        block.putInt(0, 0).putShort(4, (short) BLOCK); // an empty entry spanning the block
        writeIndex(block, NODE_COUNT_OFFSET, NODE_LIMIT, index, inodeSeed);
      }
      writeIndex(root, ROOT_COUNT_OFFSET, ROOT_LIMIT, rootIndex, inodeSeed);
    }
    out.put(firstLeaf * BLOCK, leafBlocks);
    return out.array();
  }

  /** Writes limit, count and entries (the first entry's hash is implicit) and seals the tail. */
  private static void writeIndex(ByteBuffer b, int countOffset, int limit, List<int[]> index, int seed) {
    b.putShort(countOffset, (short) limit);
    b.putShort(countOffset + 2, (short) index.size());
    b.putInt(countOffset + 4, index.get(0)[1]);
    for (int i = 1; i < index.size(); i++) {
      b.putInt(countOffset + i * 8, index.get(i)[0]);
      b.putInt(countOffset + i * 8 + 4, index.get(i)[1]);
    }
    int tail = countOffset + limit * 8;
    b.putInt(tail, 0);
    b.putInt(tail + 4, Checksums.dxNode(seed, b, countOffset, index.size(), tail));
  }
}
