package dev.linux.env.ext4;

import java.util.Arrays;

/**
 * The mapped parts of a file, in logical order: (logical block, physical block, length) triples
 * kept in flat arrays, since most files need one and a big fragmented file can need thousands.
 * Unmapped logical ranges are holes.
 */
final class ExtentList {
  /** The longest initialized extent EXT4 can describe. */
  static final int MAX_LENGTH = 32768;

  private long[] logical = new long[1];
  private long[] physical = new long[1];
  private int[] length = new int[1];
  private int count;

  /** Maps {@code blocks} blocks at {@code logicalStart} to {@code physicalStart}, merging where it can. */
  void add(long logicalStart, long physicalStart, long blocks) {
    while (blocks > 0) {
      if (count > 0) {
        int i = count - 1;
        if (logical[i] + length[i] == logicalStart
            && physical[i] + length[i] == physicalStart
            && length[i] < MAX_LENGTH) {
          int take = (int) Math.min(blocks, MAX_LENGTH - length[i]);
          length[i] += take;
          logicalStart += take;
          physicalStart += take;
          blocks -= take;
          continue;
        }
      }
      if (count == logical.length) {
        int n = count * 2;
        logical = Arrays.copyOf(logical, n);
        physical = Arrays.copyOf(physical, n);
        length = Arrays.copyOf(length, n);
      }
      int take = (int) Math.min(blocks, MAX_LENGTH);
      logical[count] = logicalStart;
      physical[count] = physicalStart;
      length[count] = take;
      count++;
      logicalStart += take;
      physicalStart += take;
      blocks -= take;
    }
  }

  int size() {
    return count;
  }

  long logical(int i) {
    return logical[i];
  }

  long physical(int i) {
    return physical[i];
  }

  int length(int i) {
    return length[i];
  }

  long mappedBlocks() {
    long sum = 0;
    for (int i = 0; i < count; i++) {
      sum += length[i];
    }
    return sum;
  }
}
