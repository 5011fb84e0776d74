package dev.linux.env.ext4;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lays out one inode's extended attributes: as many as fit go into the space after the inode's
 * extra fields (behind an {@code ext4_xattr_ibody_header}), the rest into one xattr block, whose
 * entries are sorted as the kernel expects when it searches a block.
 */
final class XattrEncoder {
  private XattrEncoder() {}

  /** Bytes after i_extra_isize: the in-inode xattr area, header included. */
  static final int INODE_AREA = Layout.INODE_SIZE - 128 - Ext4Format.EXTRA_ISIZE;
  static final int INODE_AREA_OFFSET = 128 + Ext4Format.EXTRA_ISIZE;

  /**
   * @param inodeArea the {@link #INODE_AREA} bytes to copy into the inode, or null
   * @param block a block's content without refcount and checksum (filled in when written), or null
   */
  record Encoded(byte[] inodeArea, byte[] block) {}

  /** @throws IllegalArgumentException if a name is not storable or the attributes do not fit */
  static Encoded encode(Map<String, byte[]> xattrs, String path) {
    if (xattrs.isEmpty()) {
      return new Encoded(null, null);
    }
    List<Xattrs.Entry> entries = new ArrayList<>();
    for (var e : xattrs.entrySet()) {
      entries.add(Xattrs.encode(e.getKey(), e.getValue()));
    }
    entries.sort(Xattrs.Entry::compare);
    List<Xattrs.Entry> inInode = new ArrayList<>();
    List<Xattrs.Entry> inBlock = new ArrayList<>();
    int inodeUsed = 4 + 4; // header and the end marker
    for (Xattrs.Entry e : entries) {
      int need = e.entrySize() + e.valueSize();
      if (inBlock.isEmpty() && inodeUsed + need <= INODE_AREA) {
        inInode.add(e);
        inodeUsed += need;
      } else {
        inBlock.add(e);
      }
    }
    int blockUsed = Xattrs.BLOCK_HEADER + 4;
    for (Xattrs.Entry e : inBlock) {
      blockUsed += e.entrySize() + e.valueSize();
    }
    if (blockUsed > Layout.BLOCK_SIZE) {
      throw new IllegalArgumentException("extended attributes of " + path + " take " + blockUsed
          + " bytes; at most one " + Layout.BLOCK_SIZE + "-byte block is supported");
    }
    byte[] area = null;
    if (!inInode.isEmpty()) {
      ByteBuffer b = ByteBuffer.allocate(INODE_AREA).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(Xattrs.MAGIC);
      // offsets of in-inode values count from the first entry, just after the header
      place(b.slice(4, INODE_AREA - 4).order(ByteOrder.LITTLE_ENDIAN), 0, inInode);
      area = b.array();
    }
    byte[] block = null;
    if (!inBlock.isEmpty()) {
      ByteBuffer b = ByteBuffer.allocate(Layout.BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(0, Xattrs.MAGIC);
      b.putInt(8, 1); // h_blocks
      int[] hashes = place(b, Xattrs.BLOCK_HEADER, inBlock);
      b.putInt(12, Xattrs.blockHash(hashes));
      block = b.array();
    }
    return new Encoded(area, block);
  }

  /** Writes entries from {@code first} and values from the end of {@code b}; returns the entry hashes. */
  private static int[] place(ByteBuffer b, int first, List<Xattrs.Entry> entries) {
    int[] hashes = new int[entries.size()];
    int position = first;
    int valueEnd = b.capacity();
    for (int i = 0; i < entries.size(); i++) {
      Xattrs.Entry e = entries.get(i);
      int offset = 0;
      if (e.value().length > 0) {
        valueEnd -= e.valueSize();
        offset = valueEnd;
        b.put(valueEnd, e.value());
      }
      hashes[i] = Xattrs.entryHash(e.name(), e.value());
      b.put(position, (byte) e.name().length);
      b.put(position + 1, (byte) e.index());
      b.putShort(position + 2, (short) offset);
      b.putInt(position + 4, 0); // value in this block or inode, not in an EA inode
      b.putInt(position + 8, e.value().length);
      b.putInt(position + 12, hashes[i]);
      b.put(position + Xattrs.ENTRY_HEADER, e.name());
      position += e.entrySize();
    }
    return hashes;
  }
}
