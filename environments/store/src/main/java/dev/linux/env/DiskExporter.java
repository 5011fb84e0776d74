package dev.linux.env;

import dev.linux.env.ext4.Ext4Reader;
import dev.linux.env.ext4.Ext4Reader.FileType;
import dev.linux.env.ext4.Ext4Reader.Inode;
import dev.linux.env.image.TarWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the tree of a stopped environment's EXT4 disk as a tar stream, reading the disk directly
 * (read-only) with {@link Ext4Reader}: the same entries the guest agent writes for a running
 * environment (names relative to the root, directories ending in {@code /}, the root itself left
 * out), with owners, permissions, nanosecond mtimes and extended attributes. A regular file with
 * several links is written once and then as hard-link entries; sockets are skipped. Content is
 * streamed extent by extent; holes and unwritten (preallocated) extents read as zeros.
 */
final class DiskExporter {

  private static final int ROOT_INODE = 2;
  private static final int EXTENT_MAGIC = 0xF30A;
  private static final int FLAG_EXTENTS = 0x80000;
  private static final int INCOMPAT_RECOVER = 0x4;
  private static final int UNINIT_LENGTH = 32768;
  private static final byte[] ZEROS = new byte[65536];

  private final Ext4Reader reader;
  private final FileChannel disk;
  private final TarWriter tar;
  private final Map<Integer, String> firstNameOfInode = new HashMap<>();
  private final byte[] buffer = new byte[1 << 20];
  private long entries;

  private DiskExporter(Ext4Reader reader, FileChannel disk, TarWriter tar) {
    this.reader = reader;
    this.disk = disk;
    this.tar = tar;
  }

  /**
   * Writes the disk's tree to {@code out} (the stream is flushed, not closed).
   *
   * @return the number of entries written
   */
  static long export(Path diskImage, OutputStream out) throws IOException {
    try (Ext4Reader reader = Ext4Reader.open(diskImage);
        FileChannel channel = FileChannel.open(diskImage, StandardOpenOption.READ)) {
      if ((reader.superblock().featureIncompat() & INCOMPAT_RECOVER) != 0) {
        throw new IOException("the disk's journal needs recovery (the environment did not shut down cleanly);"
            + " start it and export it while it runs");
      }
      DiskExporter exporter = new DiskExporter(reader, channel, new TarWriter(out));
      exporter.directory("", reader.inode(ROOT_INODE));
      exporter.tar.finish();
      return exporter.entries;
    }
  }

  private void directory(String prefix, Inode dir) throws IOException {
    List<Ext4Reader.DirEntry> children = new ArrayList<>(reader.list(dir));
    children.removeIf(e -> e.name().equals(".") || e.name().equals(".."));
    // byte order of names, as the guest's walk writes them
    children.sort((a, b) -> Arrays.compareUnsigned(
        a.name().getBytes(StandardCharsets.UTF_8), b.name().getBytes(StandardCharsets.UTF_8)));
    for (Ext4Reader.DirEntry child : children) {
      Inode inode = reader.inode(child.inode());
      String path = prefix + child.name();
      if (inode.type() == FileType.DIRECTORY) {
        put(path + "/", TarWriter.Type.DIRECTORY, inode, 0, null);
        directory(path + "/", inode);
      } else {
        entry(path, inode);
      }
    }
  }

  private void entry(String path, Inode inode) throws IOException {
    switch (inode.type()) {
      case REGULAR -> {
        String first = inode.links() > 1 ? firstNameOfInode.putIfAbsent(inode.number(), path) : null;
        if (first != null) {
          put(path, TarWriter.Type.HARD_LINK, inode, 0, first);
        } else {
          put(path, TarWriter.Type.FILE, inode, inode.size(), null);
          content(inode);
        }
      }
      case SYMLINK -> put(path, TarWriter.Type.SYMLINK, inode, 0, inode.symlinkTarget());
      case CHARACTER_DEVICE -> put(path, TarWriter.Type.CHARACTER_DEVICE, inode, 0, null);
      case BLOCK_DEVICE -> put(path, TarWriter.Type.BLOCK_DEVICE, inode, 0, null);
      case FIFO -> put(path, TarWriter.Type.FIFO, inode, 0, null);
      default -> {
        // sockets belong to the processes that made them; unknown types cannot be written
      }
    }
  }

  private void put(String path, TarWriter.Type type, Inode inode, long size, String link) throws IOException {
    Map<String, byte[]> xattrs = new LinkedHashMap<>(reader.xattrs(inode));
    xattrs.keySet().removeIf(name -> name.startsWith("system.data")); // inline-data bookkeeping
    tar.putEntry(new TarWriter.Header(path, type, inode.permissions(), inode.uid(), inode.gid(), size,
        inode.mtime(), link, inode.deviceMajor(), inode.deviceMinor(), xattrs));
    entries++;
  }

  /** Streams a regular file's content: extents in logical order, zeros for holes and unwritten extents. */
  private void content(Inode inode) throws IOException {
    long size = inode.size();
    if (size == 0) {
      return;
    }
    if ((inode.flags() & FLAG_EXTENTS) == 0) {
      throw new IOException("inode " + inode.number() + " is not extent-mapped (unsupported)");
    }
    reader.extents(inode); // verifies the extent tree's checksums
    int blockSize = reader.superblock().blockSize();
    long position = 0;
    for (MappedExtent e : mappedExtents(inode)) {
      long start = e.logical * blockSize;
      if (start >= size) {
        break;
      }
      zeros(start - position);
      long length = Math.min((long) e.length * blockSize, size - start);
      if (e.unwritten) {
        zeros(length);
      } else {
        copy(e.physical * blockSize, length);
      }
      position = start + length;
    }
    zeros(size - position);
  }

  private void copy(long offset, long length) throws IOException {
    long done = 0;
    while (done < length) {
      ByteBuffer b = ByteBuffer.wrap(buffer, 0, (int) Math.min(buffer.length, length - done));
      while (b.hasRemaining()) {
        if (disk.read(b, offset + done + b.position()) < 0) {
          throw new IOException("the disk image ends inside a file's data");
        }
      }
      tar.writeContent(buffer, 0, b.position());
      done += b.position();
    }
  }

  private void zeros(long length) throws IOException {
    for (long left = length; left > 0; ) {
      int n = (int) Math.min(ZEROS.length, left);
      tar.writeContent(ZEROS, 0, n);
      left -= n;
    }
  }

  private record MappedExtent(long logical, long physical, int length, boolean unwritten) {}

  /** The extent leaves with their "unwritten" flag, which {@link Ext4Reader#extents} folds away. */
  private List<MappedExtent> mappedExtents(Inode inode) throws IOException {
    Ext4Reader.Superblock sb = reader.superblock();
    int index = (inode.number() - 1) % sb.inodesPerGroup();
    long table = reader.groupDescriptors().get((inode.number() - 1) / sb.inodesPerGroup()).inodeTable();
    ByteBuffer root = read(table * sb.blockSize() + (long) index * sb.inodeSize() + 0x28, 60);
    List<MappedExtent> out = new ArrayList<>();
    collect(root, out, 0);
    out.sort((a, b) -> Long.compare(a.logical, b.logical));
    return out;
  }

  private void collect(ByteBuffer node, List<MappedExtent> out, int level) throws IOException {
    if ((node.getShort(0) & 0xFFFF) != EXTENT_MAGIC || level > 5) {
      throw new IOException("bad extent node");
    }
    int count = node.getShort(2) & 0xFFFF;
    int depth = node.getShort(6) & 0xFFFF;
    for (int i = 0; i < count; i++) {
      int o = 12 + i * 12;
      long logical = node.getInt(o) & 0xFFFF_FFFFL;
      if (depth == 0) {
        int length = node.getShort(o + 4) & 0xFFFF;
        long physical = (node.getInt(o + 8) & 0xFFFF_FFFFL) | (long) (node.getShort(o + 6) & 0xFFFF) << 32;
        boolean unwritten = length > UNINIT_LENGTH;
        out.add(new MappedExtent(logical, physical, unwritten ? length - UNINIT_LENGTH : length, unwritten));
      } else {
        long child = (node.getInt(o + 4) & 0xFFFF_FFFFL) | (long) (node.getShort(o + 8) & 0xFFFF) << 32;
        collect(read(child * reader.superblock().blockSize(), reader.superblock().blockSize()), out, level + 1);
      }
    }
  }

  private ByteBuffer read(long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (disk.read(b, position + b.position()) < 0) {
        throw new IOException("the disk image ends before offset " + (position + length));
      }
    }
    return b.flip();
  }
}
