package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Grows an unmounted filesystem written by {@link Ext4Writer}: extends the image file (sparsely)
 * and adds block groups, with their bitmaps and inode tables packed at the start of the new
 * space (flex_bg allows that), superblock and descriptor backups, updated counts and checksums.
 * Existing data never moves.
 *
 * <p>Descriptors for the new groups go into the existing descriptor blocks while they have room
 * (one 4 KiB block describes 64 groups). Beyond that the filesystem switches to meta_bg: each
 * further run of 64 groups keeps its own descriptor block in its first group, with backups in
 * the second and last group of the run, so growing never needs space that was reserved in
 * advance (the alternative, resize_inode, reserves descriptor blocks at creation and needs a
 * special inode to own them). The kernel and e2fsck both accept meta_bg with flex_bg and 64bit;
 * resize2fs switches to it the same way when the reserved blocks run out.
 */
public final class Ext4Resizer {
  private static final int BLOCK = Layout.BLOCK_SIZE;
  private static final int PER_GROUP = Layout.BLOCKS_PER_GROUP;
  private static final int DESCS_PER_BLOCK = BLOCK / Layout.DESC_SIZE;
  private static final int COMPAT_RESIZE_INODE = 0x10;
  private static final int INCOMPAT_RECOVER = 0x4;

  private Ext4Resizer() {}

  /**
   * Grows the filesystem in {@code image} to {@code newSizeBytes} (rounded down to whole blocks;
   * a last group too small to be useful is left out, as mke2fs does). Growing to the current
   * size does nothing.
   *
   * @throws IllegalArgumentException when asked to shrink
   * @throws IOException when the image is not a clean filesystem of the kind Ext4Writer writes
   */
  public static void grow(Path image, long newSizeBytes) throws IOException {
    try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      new Growth(channel).grow(newSizeBytes);
    }
  }

  private static final class Growth {
    private final FileChannel channel;
    private final ByteBuffer sb;
    private final Checksums checksums;
    private final long oldBlocks;
    private final int oldGroups;
    private final int inodesPerGroup;
    private final int inodeTableBlocks;
    /** Descriptor blocks in the classic place (after superblock copies); meta_bg beyond them. */
    private final int classicGdtBlocks;
    private long newBlocks;
    private int newGroups;

    Growth(FileChannel channel) throws IOException {
      this.channel = channel;
      this.sb = read(SUPERBLOCK_OFFSET, 1024);
      if ((sb.getShort(0x38) & 0xFFFF) != SUPERBLOCK_MAGIC) {
        throw new IOException("not an ext4 filesystem (bad superblock magic)");
      }
      int incompat = sb.getInt(0x60);
      boolean ours = sb.getInt(0x18) == 2 && sb.getInt(0x20) == PER_GROUP
          && (incompat & INCOMPAT_64BIT) != 0 && (incompat & INCOMPAT_FLEX_BG) != 0
          && (sb.getShort(0xFE) & 0xFFFF) == Layout.DESC_SIZE
          && (sb.getInt(0x64) & RO_COMPAT_METADATA_CSUM) != 0
          && (sb.getInt(0x5C) & COMPAT_RESIZE_INODE) == 0 && sb.getInt(0x14) == 0;
      if (!ours) {
        throw new IOException("can only grow filesystems laid out like Ext4Writer's (4 KiB blocks, "
            + "64bit, flex_bg, metadata_csum, no resize_inode)");
      }
      if ((sb.getShort(0x3A) & 1) == 0 || (incompat & INCOMPAT_RECOVER) != 0) {
        throw new IOException("filesystem was not cleanly unmounted; check it with e2fsck first");
      }
      if (sb.getInt(0x3FC) != Checksums.superblock(sb)) {
        throw new IOException("superblock checksum mismatch");
      }
      byte[] uuid = new byte[16];
      sb.get(0x68, uuid);
      ByteBuffer u = ByteBuffer.wrap(uuid);
      this.checksums = new Checksums(new java.util.UUID(u.getLong(), u.getLong()));
      this.oldBlocks = (sb.getInt(0x04) & 0xFFFF_FFFFL) | (sb.getInt(0x150) & 0xFFFF_FFFFL) << 32;
      this.oldGroups = (int) ((oldBlocks + PER_GROUP - 1) / PER_GROUP);
      this.inodesPerGroup = sb.getInt(0x28);
      this.inodeTableBlocks = inodesPerGroup * (sb.getShort(0x58) & 0xFFFF) / BLOCK;
      this.classicGdtBlocks = (incompat & INCOMPAT_META_BG) != 0
          ? sb.getInt(0x104) : Layout.gdtBlocksFor(oldGroups);
    }

    void grow(long newSizeBytes) throws IOException {
      long requested = newSizeBytes / BLOCK;
      if (requested < oldBlocks) {
        throw new IllegalArgumentException("shrinking is not supported: the filesystem has "
            + oldBlocks * BLOCK + " bytes, asked for " + newSizeBytes);
      }
      newBlocks = requested;
      newGroups = (int) ((newBlocks + PER_GROUP - 1) / PER_GROUP);
      long last = newBlocks - (long) (newGroups - 1) * PER_GROUP;
      if (newGroups > oldGroups && last < baseBlocks(newGroups - 1) + 50) {
        newGroups--; // as mke2fs does, leave out a last group too small to be useful
        newBlocks -= last;
      }
      if (newBlocks == oldBlocks) {
        extendFile(newSizeBytes);
        return;
      }
      if ((long) newGroups * inodesPerGroup > 0xFFFF_FFFFL || newBlocks >= (1L << 31)) {
        throw new IllegalArgumentException("filesystems above 8 TiB are not supported");
      }
      boolean metaBg = newGroups > classicGdtBlocks * DESCS_PER_BLOCK;
      ByteBuffer gdt = readDescriptors();
      long[] newMeta = placeNewGroupMetadata();
      extendFile(newSizeBytes);

      BitSet usedInNew = new BitSet();
      for (int g = oldGroups; g < newGroups; g++) {
        for (int i = 0; i < 3; i++) {
          long start = newMeta[g * 3 + i];
          int length = i == 2 ? inodeTableBlocks : 1;
          usedInNew.set((int) (start - firstNewBlock()), (int) (start - firstNewBlock() + length));
        }
      }
      long freeBlocksAdded = extendLastOldGroup(gdt);
      for (int g = oldGroups; g < newGroups; g++) {
        freeBlocksAdded += initialiseGroup(g, gdt, newMeta, usedInNew);
      }

      long freeBlocks = ((sb.getInt(0x0C) & 0xFFFF_FFFFL) | (sb.getInt(0x158) & 0xFFFF_FFFFL) << 32)
          + freeBlocksAdded;
      long freeInodes = (sb.getInt(0x10) & 0xFFFF_FFFFL) + (long) (newGroups - oldGroups) * inodesPerGroup;
      sb.putInt(0x00, (int) ((long) newGroups * inodesPerGroup));
      sb.putInt(0x04, (int) newBlocks);
      sb.putInt(0x150, (int) (newBlocks >>> 32));
      sb.putInt(0x0C, (int) freeBlocks);
      sb.putInt(0x158, (int) (freeBlocks >>> 32));
      sb.putInt(0x10, (int) freeInodes);
      if (metaBg) {
        sb.putInt(0x60, sb.getInt(0x60) | INCOMPAT_META_BG);
        sb.putInt(0x104, classicGdtBlocks);
      }
      writeDescriptors(gdt);
      channel.force(true);
      writeSuperblocks();
      channel.force(true);
    }

    private void extendFile(long newSizeBytes) throws IOException {
      if (channel.size() < newSizeBytes) {
        // writing the last byte extends the file without allocating the space before it
        channel.write(ByteBuffer.wrap(new byte[1]), newSizeBytes - 1);
      }
    }

    private long firstNewBlock() {
      return (long) oldGroups * PER_GROUP;
    }

    /** Blocks at the start of a group holding a superblock copy and descriptors. */
    private int baseBlocks(int g) {
      int blocks = Layout.hasSuperblockCopy(g) ? 1 : 0;
      if (g < classicGdtBlocks * DESCS_PER_BLOCK) {
        return blocks == 0 ? 0 : 1 + classicGdtBlocks;
      }
      int inMeta = g % DESCS_PER_BLOCK;
      return blocks + (inMeta == 0 || inMeta == 1 || inMeta == DESCS_PER_BLOCK - 1 ? 1 : 0);
    }

    private long groupEnd(int g) {
      return Math.min(newBlocks, (long) (g + 1) * PER_GROUP);
    }

    /** {block bitmap, inode bitmap, inode table} of each new group, packed from the first new group on. */
    private long[] placeNewGroupMetadata() throws IOException {
      long[] placed = new long[newGroups * 3];
      long cursor = firstNewBlock();
      for (int kind = 0; kind < 3; kind++) {
        int length = kind == 2 ? inodeTableBlocks : 1;
        for (int g = oldGroups; g < newGroups; g++) {
          cursor = nextRun(cursor, length);
          placed[g * 3 + kind] = cursor;
          cursor += length;
        }
      }
      return placed;
    }

    private long nextRun(long from, int length) throws IOException {
      long start = from;
      while (true) {
        int g = (int) (start / PER_GROUP);
        if (g >= newGroups) {
          throw new IllegalArgumentException("growing by so little leaves no room for the new "
              + "groups' bitmaps and inode tables; grow by at least "
              + ((long) (newGroups - oldGroups) * (inodeTableBlocks + 2) + PER_GROUP) * BLOCK + " bytes");
        }
        long base = (long) g * PER_GROUP + baseBlocks(g);
        if (start < base) {
          start = base;
        }
        if (start + length <= groupEnd(g)) {
          return start;
        }
        // does not fit before the end of this group: continue into the next one if it has no base blocks
        if (g + 1 < newGroups && baseBlocks(g + 1) == 0 && start + length <= groupEnd(g + 1)) {
          return start;
        }
        start = (long) (g + 1) * PER_GROUP;
      }
    }

    private ByteBuffer readDescriptors() throws IOException {
      ByteBuffer gdt = ByteBuffer.allocate(Math.max(newGroups, DESCS_PER_BLOCK) * Layout.DESC_SIZE
          + BLOCK).order(ByteOrder.LITTLE_ENDIAN);
      int firstMetaBg = (sb.getInt(0x60) & INCOMPAT_META_BG) != 0 ? classicGdtBlocks : Integer.MAX_VALUE;
      for (int index = 0; index * DESCS_PER_BLOCK < oldGroups; index++) {
        ByteBuffer block = read(Layout.descriptorBlock(index, firstMetaBg) * BLOCK, BLOCK);
        gdt.put(index * BLOCK, block, 0, BLOCK);
      }
      for (int g = 0; g < oldGroups; g++) {
        int o = g * Layout.DESC_SIZE;
        if ((gdt.getShort(o + 0x1E) & 0xFFFF) != checksums.groupDescriptor(g, gdt, o, Layout.DESC_SIZE)) {
          throw new IOException("group descriptor " + g + " checksum mismatch");
        }
      }
      // zero what lies past the old groups (the rest of a partly used descriptor block)
      Arrays.fill(gdt.array(), oldGroups * Layout.DESC_SIZE, gdt.capacity(), (byte) 0);
      return gdt;
    }

    /** Frees the blocks the old last group gains; returns how many. */
    private long extendLastOldGroup(ByteBuffer gdt) throws IOException {
      int g = oldGroups - 1;
      int oldIn = (int) (oldBlocks - (long) g * PER_GROUP);
      int newIn = (int) (groupEnd(g) - (long) g * PER_GROUP);
      if (newIn == oldIn) {
        return 0;
      }
      int o = g * Layout.DESC_SIZE;
      long bitmapBlock = (gdt.getInt(o) & 0xFFFF_FFFFL) | (gdt.getInt(o + 0x20) & 0xFFFF_FFFFL) << 32;
      byte[] bits = read(bitmapBlock * BLOCK, BLOCK).array();
      for (int i = oldIn; i < newIn; i++) {
        bits[i >>> 3] &= (byte) ~(1 << (i & 7));
      }
      write(ByteBuffer.wrap(bits), bitmapBlock * BLOCK);
      int free = (gdt.getShort(o + 0x0C) & 0xFFFF | (gdt.getShort(o + 0x2C) & 0xFFFF) << 16) + newIn - oldIn;
      int csum = checksums.bitmap(bits, PER_GROUP / 8);
      gdt.putShort(o + 0x0C, (short) free).putShort(o + 0x2C, (short) (free >>> 16));
      gdt.putShort(o + 0x18, (short) csum).putShort(o + 0x38, (short) (csum >>> 16));
      MetadataEncoder.sealDescriptor(gdt, o, g, checksums);
      return newIn - oldIn;
    }

    /** Writes a new group's bitmaps and descriptor; returns its free blocks. */
    private int initialiseGroup(int g, ByteBuffer gdt, long[] meta, BitSet usedInNew) throws IOException {
      long start = (long) g * PER_GROUP;
      int inGroup = (int) (groupEnd(g) - start);
      byte[] bits = new byte[BLOCK];
      int used = 0;
      for (int i = 0; i < inGroup; i++) {
        if (i < baseBlocks(g) || usedInNew.get((int) (start - firstNewBlock()) + i)) {
          bits[i >>> 3] |= (byte) (1 << (i & 7));
          used++;
        }
      }
      for (int i = inGroup; i < BLOCK * 8; i++) {
        bits[i >>> 3] |= (byte) (1 << (i & 7));
      }
      write(ByteBuffer.wrap(bits), meta[g * 3] * BLOCK);
      byte[] inodeBits = new byte[BLOCK];
      for (int i = inodesPerGroup; i < BLOCK * 8; i++) {
        inodeBits[i >>> 3] |= (byte) (1 << (i & 7));
      }
      write(ByteBuffer.wrap(inodeBits), meta[g * 3 + 1] * BLOCK);
      int flags = MetadataEncoder.BG_INODE_UNINIT | MetadataEncoder.BG_INODE_ZEROED;
      if (used == baseBlocks(g) && g < newGroups - 1) {
        flags |= MetadataEncoder.BG_BLOCK_UNINIT;
      }
      MetadataEncoder.GroupState state = new MetadataEncoder.GroupState(inGroup - used, inodesPerGroup,
          0, flags, inodesPerGroup, checksums.bitmap(bits, PER_GROUP / 8),
          checksums.bitmap(inodeBits, inodesPerGroup / 8));
      int o = g * Layout.DESC_SIZE;
      MetadataEncoder.encodeDescriptor(gdt, o, meta[g * 3], meta[g * 3 + 1], meta[g * 3 + 2], state);
      MetadataEncoder.sealDescriptor(gdt, o, g, checksums);
      return inGroup - used;
    }

    private void writeDescriptors(ByteBuffer gdt) throws IOException {
      int classicGroups = Math.min(newGroups, classicGdtBlocks * DESCS_PER_BLOCK);
      for (int g = 0; g < classicGroups; g++) {
        if (Layout.hasSuperblockCopy(g)) {
          write(gdt.slice(0, classicGdtBlocks * BLOCK), ((long) g * PER_GROUP + 1) * BLOCK);
        }
      }
      for (int g = classicGroups; g < newGroups; g++) {
        int inMeta = g % DESCS_PER_BLOCK;
        if (inMeta == 0 || inMeta == 1 || inMeta == DESCS_PER_BLOCK - 1) {
          int index = g / DESCS_PER_BLOCK;
          long block = (long) g * PER_GROUP + (Layout.hasSuperblockCopy(g) ? 1 : 0);
          write(gdt.slice(index * BLOCK, BLOCK), block * BLOCK);
        }
      }
    }

    /** Writes every superblock copy, backups first and the primary last. */
    private void writeSuperblocks() throws IOException {
      for (int g = newGroups - 1; g >= 0; g--) {
        if (!Layout.hasSuperblockCopy(g)) {
          continue;
        }
        sb.putShort(0x5A, (short) g);
        Checksums.sealSuperblock(sb);
        write(sb.duplicate().clear(), g == 0 ? SUPERBLOCK_OFFSET : (long) g * PER_GROUP * BLOCK);
      }
    }

    private ByteBuffer read(long position, int length) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (channel.read(b, position + b.position()) < 0) {
          throw new IOException("image ends before offset " + (position + length));
        }
      }
      return b.flip();
    }

    private void write(ByteBuffer data, long position) throws IOException {
      while (data.hasRemaining()) {
        position += channel.write(data, position);
      }
    }
  }
}
