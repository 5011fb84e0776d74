package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A small read-only view of an EXT4 image: the superblock, group descriptors, inodes, linear
 * directories and extent-mapped content. It exists to verify what {@link Ext4Writer} wrote and
 * understands exactly the features the writer uses.
 */
public final class Ext4Reader implements AutoCloseable {

  /** Selected superblock fields. */
  public record Superblock(
      long blocksCount, long freeBlocks, long inodesCount, long freeInodes, int blockSize,
      int blocksPerGroup, int inodesPerGroup, int inodeSize, int firstInode, int descriptorSize,
      int featureCompat, int featureIncompat, int featureRoCompat, String label, UUID uuid,
      int journalInode, int logGroupsPerFlex) {

    public int groupCount() {
      return (int) ((blocksCount + blocksPerGroup - 1) / blocksPerGroup);
    }
  }

  /** One block group's descriptor. */
  public record GroupDescriptor(
      long blockBitmap, long inodeBitmap, long inodeTable, int freeBlocks, int freeInodes,
      int usedDirs, int flags) {}

  /** The kind of an inode, from its mode. */
  public enum FileType { REGULAR, DIRECTORY, SYMLINK, CHARACTER_DEVICE, BLOCK_DEVICE, FIFO, SOCKET, UNKNOWN }

  /** One extent: {@code length} blocks of the file from {@code logical} stored at {@code physical}. */
  public record Extent(long logical, long physical, int length) {}

  /**
   * What an inode says about a file.
   *
   * @param permissions mode bits below the file type, including setuid, setgid and sticky
   * @param blocks512 allocated space in 512-byte units
   * @param symlinkTarget the target of a symlink, else null
   */
  public record Inode(
      int number, FileType type, int permissions, long uid, long gid, long size, int links,
      Instant atime, Instant mtime, Instant ctime, Instant crtime, int flags, long blocks512,
      int deviceMajor, int deviceMinor, String symlinkTarget) {}

  /** A directory entry. */
  public record DirEntry(String name, int inode, int fileType) {}

  private final FileChannel channel;
  private final Superblock superblock;
  private final List<GroupDescriptor> groups;

  private Ext4Reader(FileChannel channel) throws IOException {
    this.channel = channel;
    ByteBuffer sb = read(SUPERBLOCK_OFFSET, 1024);
    if ((sb.getShort(0x38) & 0xFFFF) != SUPERBLOCK_MAGIC) {
      throw new IOException("not an ext4 filesystem (bad superblock magic)");
    }
    int blockSize = 1024 << sb.getInt(0x18);
    int incompat = sb.getInt(0x60);
    byte[] uuid = new byte[16];
    sb.get(0x68, uuid);
    byte[] label = new byte[16];
    sb.get(0x78, label);
    int labelLength = 0;
    while (labelLength < 16 && label[labelLength] != 0) {
      labelLength++;
    }
    ByteBuffer u = ByteBuffer.wrap(uuid);
    boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
    this.superblock = new Superblock(
        u32(sb, 0x04) | (is64 ? u32(sb, 0x150) << 32 : 0),
        u32(sb, 0x0C) | (is64 ? u32(sb, 0x158) << 32 : 0),
        u32(sb, 0x00), u32(sb, 0x10), blockSize, sb.getInt(0x20), sb.getInt(0x28),
        sb.getShort(0x58) & 0xFFFF, sb.getInt(0x54), is64 ? sb.getShort(0xFE) & 0xFFFF : 32,
        sb.getInt(0x5C), incompat, sb.getInt(0x64),
        new String(label, 0, labelLength, StandardCharsets.UTF_8),
        new UUID(u.getLong(), u.getLong()), sb.getInt(0xE0), sb.get(0x174));
    List<GroupDescriptor> list = new ArrayList<>();
    int descSize = superblock.descriptorSize();
    ByteBuffer gdt = read(blockSize, superblock.groupCount() * descSize);
    for (int g = 0; g < superblock.groupCount(); g++) {
      int o = g * descSize;
      boolean wide = descSize >= 64;
      list.add(new GroupDescriptor(
          u32(gdt, o) | (wide ? u32(gdt, o + 0x20) << 32 : 0),
          u32(gdt, o + 4) | (wide ? u32(gdt, o + 0x24) << 32 : 0),
          u32(gdt, o + 8) | (wide ? u32(gdt, o + 0x28) << 32 : 0),
          u16(gdt, o + 0x0C) | (wide ? u16(gdt, o + 0x2C) << 16 : 0),
          u16(gdt, o + 0x0E) | (wide ? u16(gdt, o + 0x2E) << 16 : 0),
          u16(gdt, o + 0x10) | (wide ? u16(gdt, o + 0x30) << 16 : 0),
          u16(gdt, o + 0x12)));
    }
    this.groups = List.copyOf(list);
  }

  public static Ext4Reader open(Path image) throws IOException {
    FileChannel channel = FileChannel.open(image, StandardOpenOption.READ);
    try {
      return new Ext4Reader(channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public Superblock superblock() {
    return superblock;
  }

  public List<GroupDescriptor> groupDescriptors() {
    return groups;
  }

  /** Follows directory entries from the root (symlinks are not followed). */
  public Optional<Inode> lookup(String path) throws IOException {
    Inode current = inode(ROOT_INO);
    for (String name : path.split("/")) {
      if (name.isEmpty()) {
        continue;
      }
      if (current.type() != FileType.DIRECTORY) {
        return Optional.empty();
      }
      DirEntry found = null;
      for (DirEntry entry : list(current)) {
        if (entry.name().equals(name)) {
          found = entry;
          break;
        }
      }
      if (found == null) {
        return Optional.empty();
      }
      current = inode(found.inode());
    }
    return Optional.of(current);
  }

  /** Like {@link #lookup} but fails when the path does not exist. */
  public Inode require(String path) throws IOException {
    return lookup(path).orElseThrow(() -> new NoSuchFileException(path));
  }

  public Inode inode(int number) throws IOException {
    ByteBuffer b = rawInode(number);
    int mode = u16(b, 0);
    FileType type = switch (mode & S_IFMT) {
      case S_IFREG -> FileType.REGULAR;
      case S_IFDIR -> FileType.DIRECTORY;
      case S_IFLNK -> FileType.SYMLINK;
      case S_IFCHR -> FileType.CHARACTER_DEVICE;
      case S_IFBLK -> FileType.BLOCK_DEVICE;
      case S_IFIFO -> FileType.FIFO;
      case 0140000 -> FileType.SOCKET;
      default -> FileType.UNKNOWN;
    };
    long size = u32(b, 0x04) | u32(b, 0x6C) << 32;
    int extra = superblock.inodeSize() > 128 ? u16(b, 0x80) : 0;
    int major = 0;
    int minor = 0;
    if (type == FileType.CHARACTER_DEVICE || type == FileType.BLOCK_DEVICE) {
      int[] dev = decodeDevice(b.getInt(0x28), b.getInt(0x2C));
      major = dev[0];
      minor = dev[1];
    }
    Inode partial = new Inode(number, type, mode & 07777,
        u16(b, 0x02) | (long) u16(b, 0x78) << 16, u16(b, 0x18) | (long) u16(b, 0x7A) << 16,
        size, u16(b, 0x1A),
        time(b, 0x08, extra >= 0x10 ? 0x8C : -1), time(b, 0x10, extra >= 0x0C ? 0x88 : -1),
        time(b, 0x0C, extra >= 0x08 ? 0x84 : -1), extra >= 0x18 ? time(b, 0x90, 0x94) : null,
        b.getInt(0x20), u32(b, 0x1C) | (long) u16(b, 0x74) << 32, major, minor, null);
    if (type != FileType.SYMLINK) {
      return partial;
    }
    byte[] target;
    if ((partial.flags() & INODE_FLAG_EXTENTS) == 0 && size < FAST_SYMLINK_MAX) {
      target = new byte[(int) size];
      b.get(0x28, target);
    } else {
      target = readContent(partial);
    }
    return new Inode(number, type, partial.permissions(), partial.uid(), partial.gid(), size,
        partial.links(), partial.atime(), partial.mtime(), partial.ctime(), partial.crtime(),
        partial.flags(), partial.blocks512(), 0, 0, new String(target, StandardCharsets.UTF_8));
  }

  private static Instant time(ByteBuffer b, int lowOffset, int extraOffset) {
    return decodeTime(b.getInt(lowOffset), extraOffset < 0 ? 0 : b.getInt(extraOffset));
  }

  private ByteBuffer rawInode(int number) throws IOException {
    if (number < 1 || number > superblock.inodesCount()) {
      throw new IOException("inode number out of range: " + number);
    }
    int group = (number - 1) / superblock.inodesPerGroup();
    int index = (number - 1) % superblock.inodesPerGroup();
    long position = groups.get(group).inodeTable() * superblock.blockSize()
        + (long) index * superblock.inodeSize();
    return read(position, superblock.inodeSize());
  }

  public List<DirEntry> list(String path) throws IOException {
    return list(require(path));
  }

  public List<DirEntry> list(Inode dir) throws IOException {
    if (dir.type() != FileType.DIRECTORY) {
      throw new IOException("not a directory: inode " + dir.number());
    }
    ByteBuffer content = ByteBuffer.wrap(readContent(dir)).order(ByteOrder.LITTLE_ENDIAN);
    List<DirEntry> entries = new ArrayList<>();
    int position = 0;
    while (position + 8 <= content.limit()) {
      int ino = content.getInt(position);
      int recordLength = u16(content, position + 4);
      int nameLength = content.get(position + 6) & 0xFF;
      if (recordLength < 8) {
        throw new IOException("corrupt directory entry in inode " + dir.number());
      }
      if (ino != 0) {
        byte[] name = new byte[nameLength];
        content.get(position + 8, name);
        entries.add(new DirEntry(new String(name, StandardCharsets.UTF_8), ino,
            content.get(position + 7) & 0xFF));
      }
      position += recordLength;
    }
    return entries;
  }

  /** The whole content of a file, with holes read as zeros. */
  public byte[] readContent(Inode inode) throws IOException {
    if (inode.size() > Integer.MAX_VALUE - 8) {
      throw new IOException("file too large to read at once: " + inode.size());
    }
    byte[] out = new byte[(int) inode.size()];
    int blockSize = superblock.blockSize();
    for (Extent e : extents(inode)) {
      long start = e.logical() * blockSize;
      if (start >= out.length) {
        continue;
      }
      int length = (int) Math.min((long) e.length() * blockSize, out.length - start);
      ByteBuffer data = read(e.physical() * blockSize, length);
      data.get(0, out, (int) start, length);
    }
    return out;
  }

  /** The extents of an extent-mapped inode, in logical order (gaps are holes). */
  public List<Extent> extents(Inode inode) throws IOException {
    if ((inode.flags() & INODE_FLAG_EXTENTS) == 0) {
      throw new IOException("inode " + inode.number() + " is not extent-mapped");
    }
    ByteBuffer root = rawInode(inode.number()).slice(0x28, 60).order(ByteOrder.LITTLE_ENDIAN);
    List<Extent> out = new ArrayList<>();
    collect(root, out, 0);
    return out;
  }

  private void collect(ByteBuffer node, List<Extent> out, int level) throws IOException {
    if (u16(node, 0) != EXTENT_MAGIC || level > 5) {
      throw new IOException("bad extent node");
    }
    int entries = u16(node, 2);
    int depth = u16(node, 6);
    for (int i = 0; i < entries; i++) {
      int o = 12 + i * 12;
      if (depth == 0) {
        int length = u16(node, o + 4);
        out.add(new Extent(u32(node, o), u32(node, o + 8) | (long) u16(node, o + 6) << 32,
            length > 32768 ? length - 32768 : length));
      } else {
        long child = u32(node, o + 4) | (long) u16(node, o + 8) << 32;
        collect(read(child * superblock.blockSize(), superblock.blockSize()), out, level + 1);
      }
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

  private static long u32(ByteBuffer b, int offset) {
    return b.getInt(offset) & 0xFFFF_FFFFL;
  }

  private static int u16(ByteBuffer b, int offset) {
    return b.getShort(offset) & 0xFFFF;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
