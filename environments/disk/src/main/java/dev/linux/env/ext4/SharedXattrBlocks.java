package dev.linux.env.ext4;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;

/**
 * Xattr blocks shared by every inode with identical attributes, up to the kernel's limit of
 * 1024 users per block. A block is written when first needed (reference count 1); only its
 * digest stays in memory, and blocks with more users are rewritten with their final count.
 */
final class SharedXattrBlocks {
  /** The kernel's limit on inodes sharing one xattr block. */
  static final int MAX_REFS = 1024;
  private static final int BLOCK = Layout.BLOCK_SIZE;

  /** Allocates a block and records that it is used. */
  interface Allocator {
    long allocate() throws IOException;

    void write(long block, ByteBuffer content) throws IOException;
  }

  private final Map<String, long[]> blocks = new HashMap<>(); // digest -> {block, references}
  /** Blocks that reached {@link #MAX_REFS} and were replaced by a fresh copy in {@link #blocks}. */
  private final List<long[]> full = new ArrayList<>();
  private final Checksums checksums;
  private final Allocator allocator;

  SharedXattrBlocks(Checksums checksums, Allocator allocator) {
    this.checksums = checksums;
    this.allocator = allocator;
  }

  /** The block holding {@code content} (from {@link XattrEncoder}), written if new. */
  long blockFor(byte[] content) throws IOException {
    String key;
    try {
      key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long[] shared = blocks.get(key);
    if (shared != null && shared[1] < MAX_REFS) {
      shared[1]++;
      return shared[0];
    }
    if (shared != null) {
      full.add(shared);
    }
    long block = allocator.allocate();
    write(ByteBuffer.wrap(content.clone()).order(ByteOrder.LITTLE_ENDIAN), block, 1);
    blocks.put(key, new long[] {block, 1});
    return block;
  }

  /** Rewrites blocks used by several inodes with their final reference counts. */
  void finish(FileChannel channel) throws IOException {
    List<long[]> all = new ArrayList<>(full);
    all.addAll(blocks.values());
    for (long[] shared : all) {
      if (shared[1] > 1) {
        ByteBuffer content = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        while (content.hasRemaining()) {
          if (channel.read(content, shared[0] * BLOCK + content.position()) < 0) {
            throw new EOFException("image ends inside xattr block " + shared[0]);
          }
        }
        write(content, shared[0], (int) shared[1]);
      }
    }
  }

  private void write(ByteBuffer content, long block, int refs) throws IOException {
    content.putInt(4, refs);
    content.putInt(16, 0);
    content.putInt(16, checksums.xattrBlock(block, content, BLOCK));
    allocator.write(block, content.clear());
  }
}
