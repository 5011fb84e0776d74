package dev.linux.env.ext4;

import dev.linux.env.fs.FileMeta;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Encodes one 256-byte inode (with the 32-byte extra part: nanoseconds, epoch bits, crtime). */
final class InodeEncoder {
  private InodeEncoder() {}

  /**
   * Writes an inode at {@code offset} of a little-endian buffer.
   *
   * @param blocks512 blocks used, in 512-byte units (data and extent tree blocks)
   * @param iBlock the 60-byte i_block area (extent root, fast symlink target or device number)
   */
  static void encode(
      ByteBuffer table, int offset, int mode, FileMeta meta, Instant crtime, long size, int links,
      long blocks512, int flags, byte[] iBlock) {
    ByteBuffer b = table.slice(offset, Layout.INODE_SIZE).order(table.order());
    b.putShort(0x00, (short) mode);
    b.putShort(0x02, (short) meta.uid());
    b.putInt(0x04, (int) size);
    b.putInt(0x08, Ext4Format.timeLow(meta.atime()));
    b.putInt(0x0C, Ext4Format.timeLow(meta.ctime()));
    b.putInt(0x10, Ext4Format.timeLow(meta.mtime()));
    b.putShort(0x18, (short) meta.gid());
    b.putShort(0x1A, (short) links);
    b.putInt(0x1C, (int) blocks512);
    b.putInt(0x20, flags);
    b.put(0x28, iBlock, 0, Math.min(iBlock.length, 60));
    b.putInt(0x6C, (int) (size >>> 32));
    b.putShort(0x74, (short) (blocks512 >>> 32));
    b.putShort(0x78, (short) (meta.uid() >>> 16));
    b.putShort(0x7A, (short) (meta.gid() >>> 16));
    b.putShort(0x80, (short) Ext4Format.EXTRA_ISIZE);
    b.putInt(0x84, Ext4Format.timeExtra(meta.ctime()));
    b.putInt(0x88, Ext4Format.timeExtra(meta.mtime()));
    b.putInt(0x8C, Ext4Format.timeExtra(meta.atime()));
    b.putInt(0x90, Ext4Format.timeLow(crtime));
    b.putInt(0x94, Ext4Format.timeExtra(crtime));
  }
}
