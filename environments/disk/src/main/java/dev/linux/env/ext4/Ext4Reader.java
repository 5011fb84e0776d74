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
 * A small read-only view of an EXT4 image: the superblock, group descriptors (meta_bg included),
 * inodes, linear and hashed directories, extent-mapped content and extended attributes. It
 * exists to verify what {@link Ext4Writer} wrote, understands exactly the features the writer
 * uses, and checks every metadata_csum checksum it passes (an {@link IOException} on mismatch).
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
  private final boolean checksummed;
  private final Checksums checksums;
  private final DirectoryHash directoryHash;

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
    this.checksummed = (superblock.featureRoCompat() & RO_COMPAT_METADATA_CSUM) != 0;
    this.checksums = new Checksums(superblock.uuid());
    if (checksummed && sb.getInt(0x3FC) != Checksums.superblock(sb)) {
      throw new IOException("superblock checksum mismatch");
    }
    int[] seed = new int[4];
    for (int i = 0; i < 4; i++) {
      seed[i] = sb.getInt(0xEC + 4 * i);
    }
    int hashVersion = sb.get(0xFC) & 0xFF;
    this.directoryHash = hashVersion == DirectoryHash.HALF_MD4 || hashVersion == DirectoryHash.TEA
        ? new DirectoryHash(hashVersion, seed, (sb.getInt(0x160) & 0x2) != 0)
        : null;
    int firstMetaBg = (incompat & INCOMPAT_META_BG) != 0 ? sb.getInt(0x104) : Integer.MAX_VALUE;
    List<GroupDescriptor> list = new ArrayList<>();
    int descSize = superblock.descriptorSize();
    int perBlock = blockSize / descSize;
    ByteBuffer gdt = null;
    for (int g = 0; g < superblock.groupCount(); g++) {
      if (g % perBlock == 0) {
        gdt = read(descriptorBlock(g / perBlock, firstMetaBg) * blockSize, blockSize);
      }
      int o = (g % perBlock) * descSize;
      boolean wide = descSize >= 64;
      if (checksummed && u16(gdt, o + 0x1E) != checksums.groupDescriptor(g, gdt, o, descSize)) {
        throw new IOException("group descriptor " + g + " checksum mismatch");
      }
      list.add(new GroupDescriptor(
          u32(gdt, o) | (wide ? u32(gdt, o + 0x20) << 32 : 0),
          u32(gdt, o + 4) | (wide ? u32(gdt, o + 0x24) << 32 : 0),
          u32(gdt, o + 8) | (wide ? u32(gdt, o + 0x28) << 32 : 0),
          u16(gdt, o + 0x0C) | (wide ? u16(gdt, o + 0x2C) << 16 : 0),
          u16(gdt, o + 0x0E) | (wide ? u16(gdt, o + 0x2E) << 16 : 0),
          u16(gdt, o + 0x10) | (wide ? u16(gdt, o + 0x30) << 16 : 0),
          u16(gdt, o + 0x12)));
      if (checksummed) {
        verifyBitmaps(g, list.get(g), gdt, o, wide);
      }
    }
    this.groups = List.copyOf(list);
  }

  /** Where the {@code index}-th block of group descriptors lives (meta_bg moves later ones). */
  private long descriptorBlock(int index, int firstMetaBg) {
    long first = superblock.blockSize() == 1024 ? 1 : 0;
    if (index < firstMetaBg) {
      return first + 1 + index;
    }
    long group = (long) index * (superblock.blockSize() / superblock.descriptorSize());
    return group * superblock.blocksPerGroup() + first + (Layout.hasSuperblockCopy((int) group) ? 1 : 0);
  }

  private void verifyBitmaps(int g, GroupDescriptor d, ByteBuffer gdt, int o, boolean wide)
      throws IOException {
    if ((d.flags() & MetadataEncoder.BG_BLOCK_UNINIT) == 0) {
      byte[] bits = read(d.blockBitmap() * superblock.blockSize(), superblock.blockSize()).array();
      long expected = u16(gdt, o + 0x18) | (wide ? (long) u16(gdt, o + 0x38) << 16 : 0);
      int bytes = superblock.blocksPerGroup() / 8;
      if ((checksums.bitmap(bits, bytes) & (wide ? 0xFFFF_FFFFL : 0xFFFF)) != expected) {
        throw new IOException("block bitmap checksum mismatch in group " + g);
      }
    }
    if ((d.flags() & MetadataEncoder.BG_INODE_UNINIT) == 0) {
      byte[] bits = read(d.inodeBitmap() * superblock.blockSize(), superblock.blockSize()).array();
      long expected = u16(gdt, o + 0x1A) | (wide ? (long) u16(gdt, o + 0x3A) << 16 : 0);
      int bytes = superblock.inodesPerGroup() / 8;
      if ((checksums.bitmap(bits, bytes) & (wide ? 0xFFFF_FFFFL : 0xFFFF)) != expected) {
        throw new IOException("inode bitmap checksum mismatch in group " + g);
      }
    }
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
      DirEntry found = find(current, name);
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
    ByteBuffer b = read(position, superblock.inodeSize());
    if (checksummed && u16(b, 0) != 0) {
      int crc = checksums.inode(number, b, 0, superblock.inodeSize());
      boolean hasHigh = superblock.inodeSize() > 128 && u16(b, 0x80) >= 4;
      int stored = u16(b, 0x7C) | (hasHigh ? u16(b, 0x82) << 16 : 0);
      if (stored != (hasHigh ? crc : crc & 0xFFFF)) {
        throw new IOException("inode " + number + " checksum mismatch");
      }
    }
    return b;
  }

  public List<DirEntry> list(String path) throws IOException {
    return list(require(path));
  }

  /** All entries of a directory in on-disk order (for a hashed directory: leaf by leaf). */
  public List<DirEntry> list(Inode dir) throws IOException {
    if (dir.type() != FileType.DIRECTORY) {
      throw new IOException("not a directory: inode " + dir.number());
    }
    int blockSize = superblock.blockSize();
    byte[] content = readContent(dir);
    boolean indexed = (dir.flags() & INODE_FLAG_INDEX) != 0;
    int seed = inodeSeed(dir.number(), rawInode(dir.number()));
    List<DirEntry> entries = new ArrayList<>();
    for (int start = 0; start < content.length; start += blockSize) {
      ByteBuffer block = ByteBuffer.wrap(content, start, blockSize).slice().order(ByteOrder.LITTLE_ENDIAN);
      if (indexed && start == 0) {
        verifyIndexBlock(block, 0x18 + (block.get(0x1D) & 0xFF), seed, dir, 0);
        entries.addAll(parseEntries(block, 0, 24, dir)); // "." and ".."
      } else if (indexed && block.getInt(0) == 0 && u16(block, 4) == blockSize) {
        verifyIndexBlock(block, 8, seed, dir, start / blockSize);
      } else {
        entries.addAll(leafEntries(block, seed, dir, start / blockSize));
      }
    }
    return entries;
  }

  /**
   * Finds one name, through the hash index when the directory has one. The walk is the kernel's
   * ({@code dx_probe}, then {@code ext4_htree_next_block}): at each level take the last index
   * entry whose stored hash, collision bit included, is at most the name's hash; when the leaf
   * does not hold the name, step to the next leaf only while the index entry stepped onto (at
   * whichever level the step happens) carries the same hash, since that is how names of equal
   * hash continue across a leaf split.
   */
  private DirEntry find(Inode dir, String name) throws IOException {
    if ((dir.flags() & INODE_FLAG_INDEX) == 0 || directoryHash == null) {
      for (DirEntry entry : list(dir)) {
        if (entry.name().equals(name)) {
          return entry;
        }
      }
      return null;
    }
    int hash = directoryHash.hash(name.getBytes(StandardCharsets.UTF_8));
    List<Extent> extents = extents(dir);
    int seed = inodeSeed(dir.number(), rawInode(dir.number()));
    ByteBuffer root = directoryBlock(extents, 0);
    IndexFrame[] path = new IndexFrame[(root.get(0x1E) & 0xFF) + 1];
    int leafLevel = path.length - 1; // the index level whose entries point at leaves
    path[0] = new IndexFrame(root, 0x18 + (root.get(0x1D) & 0xFF));
    verifyIndexBlock(root, path[0].countOffset, seed, dir, 0);
    for (int level = 0; level <= leafLevel; level++) {
      if (level > 0) {
        path[level] = indexNode(path[level - 1].child(), extents, seed, dir);
      }
      IndexFrame frame = path[level];
      while (frame.at + 1 < frame.count()
          && Integer.compareUnsigned(frame.hash(frame.at + 1), hash) <= 0) {
        frame.at++;
      }
    }
    while (true) {
      long leaf = path[leafLevel].child();
      for (DirEntry e : leafEntries(directoryBlock(extents, leaf), seed, dir, leaf)) {
        if (e.name().equals(name)) {
          return e;
        }
      }
      int level = leafLevel;
      while (level >= 0 && ++path[level].at >= path[level].count()) {
        level--;
      }
      if (level < 0 || (path[level].hash(path[level].at) & ~1) != hash) {
        return null;
      }
      for (level++; level <= leafLevel; level++) {
        path[level] = indexNode(path[level - 1].child(), extents, seed, dir);
      }
    }
  }

  private IndexFrame indexNode(long logical, List<Extent> extents, int seed, Inode dir) throws IOException {
    ByteBuffer block = directoryBlock(extents, logical);
    verifyIndexBlock(block, 8, seed, dir, logical);
    return new IndexFrame(block, 8);
  }

  /** One index block on the way down a hash tree, and the entry taken in it. */
  private static final class IndexFrame {
    final ByteBuffer block;
    final int countOffset;
    int at;

    IndexFrame(ByteBuffer block, int countOffset) {
      this.block = block;
      this.countOffset = countOffset;
    }

    int count() {
      return u16(block, countOffset + 2);
    }

    /** The stored hash of an entry (the first entry's is implicitly 0). */
    int hash(int entry) {
      return entry == 0 ? 0 : block.getInt(countOffset + entry * 8);
    }

    long child() {
      return u32(block, countOffset + at * 8 + 4);
    }
  }

  private ByteBuffer directoryBlock(List<Extent> extents, long logical) throws IOException {
    for (Extent e : extents) {
      if (logical >= e.logical() && logical < e.logical() + e.length()) {
        return read((e.physical() + logical - e.logical()) * superblock.blockSize(), superblock.blockSize());
      }
    }
    throw new IOException("directory block " + logical + " is not mapped");
  }

  private void verifyIndexBlock(ByteBuffer block, int countOffset, int seed, Inode dir, long logical)
      throws IOException {
    if (!checksummed) {
      return;
    }
    int limit = u16(block, countOffset);
    int count = u16(block, countOffset + 2);
    int tail = countOffset + limit * 8;
    if (count > limit || tail + Checksums.DX_TAIL_SIZE > superblock.blockSize()
        || block.getInt(tail + 4) != Checksums.dxNode(seed, block, countOffset, count, tail)) {
      throw new IOException("htree block " + logical + " of directory inode " + dir.number()
          + ": checksum mismatch");
    }
  }

  private List<DirEntry> leafEntries(ByteBuffer block, int seed, Inode dir, long logical) throws IOException {
    int end = superblock.blockSize();
    if (checksummed) {
      end -= Checksums.DIR_TAIL_SIZE;
      if (u16(block, end + 4) != Checksums.DIR_TAIL_SIZE || (block.get(end + 7) & 0xFF) != 0xDE
          || block.getInt(end + 8) != Checksums.directoryLeaf(seed, block, superblock.blockSize())) {
        throw new IOException("directory block " + logical + " of inode " + dir.number()
            + ": checksum mismatch");
      }
    }
    return parseEntries(block, 0, end, dir);
  }

  private static List<DirEntry> parseEntries(ByteBuffer block, int from, int to, Inode dir)
      throws IOException {
    List<DirEntry> entries = new ArrayList<>();
    int position = from;
    while (position + 8 <= to) {
      int ino = block.getInt(position);
      int recordLength = u16(block, position + 4);
      int nameLength = block.get(position + 6) & 0xFF;
      if (recordLength < 8 || position + recordLength > block.limit()) {
        throw new IOException("corrupt directory entry in inode " + dir.number());
      }
      if (ino != 0) {
        byte[] name = new byte[nameLength];
        block.get(position + 8, name);
        entries.add(new DirEntry(new String(name, StandardCharsets.UTF_8), ino,
            block.get(position + 7) & 0xFF));
      }
      position += recordLength;
    }
    return entries;
  }

  /** Extended attributes by full name, from the inode and its xattr block; ACLs in xattr form. */
  public java.util.Map<String, byte[]> xattrs(Inode inode) throws IOException {
    java.util.Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    ByteBuffer raw = rawInode(inode.number());
    int extra = superblock.inodeSize() > 128 ? u16(raw, 0x80) : 0;
    int start = 128 + extra;
    if (extra > 0 && start + 4 <= superblock.inodeSize() && raw.getInt(start) == Xattrs.MAGIC) {
      ByteBuffer area = raw.slice(start + 4, superblock.inodeSize() - start - 4).order(ByteOrder.LITTLE_ENDIAN);
      parseXattrs(area, 0, out, inode);
    }
    long block = u32(raw, 0x68) | (long) u16(raw, 0x76) << 32;
    if (block != 0) {
      ByteBuffer b = read(block * superblock.blockSize(), superblock.blockSize());
      if (b.getInt(0) != Xattrs.MAGIC || b.getInt(8) != 1) {
        throw new IOException("bad xattr block " + block + " of inode " + inode.number());
      }
      if (checksummed && b.getInt(16) != checksums.xattrBlock(block, b, superblock.blockSize())) {
        throw new IOException("xattr block " + block + ": checksum mismatch");
      }
      parseXattrs(b, Xattrs.BLOCK_HEADER, out, inode);
    }
    return out;
  }

  /** The reference count of the xattr block of an inode, 0 if it has none. */
  public int xattrBlockRefcount(Inode inode) throws IOException {
    ByteBuffer raw = rawInode(inode.number());
    long block = u32(raw, 0x68) | (long) u16(raw, 0x76) << 32;
    return block == 0 ? 0 : read(block * superblock.blockSize(), 8).getInt(4);
  }

  private static void parseXattrs(ByteBuffer area, int first, java.util.Map<String, byte[]> out, Inode inode)
      throws IOException {
    int position = first;
    while (position + 4 <= area.limit() && area.getInt(position) != 0) {
      if (position + Xattrs.ENTRY_HEADER > area.limit()) {
        throw new IOException("xattr entry overruns its area in inode " + inode.number());
      }
      int nameLength = area.get(position) & 0xFF;
      int index = area.get(position + 1) & 0xFF;
      int valueOffset = u16(area, position + 2);
      int valueSize = area.getInt(position + 8);
      byte[] name = new byte[nameLength];
      area.get(position + Xattrs.ENTRY_HEADER, name);
      if (valueSize < 0 || valueOffset + valueSize > area.limit()) {
        throw new IOException("xattr value out of bounds in inode " + inode.number());
      }
      byte[] value = new byte[valueSize];
      area.get(valueOffset, value);
      int hash = area.getInt(position + 12);
      if (hash != 0 && hash != Xattrs.entryHash(name, value)) {
        throw new IOException("xattr entry hash mismatch in inode " + inode.number());
      }
      out.put(Xattrs.decodeName(index, name), Xattrs.decodeValue(index, value));
      position += (Xattrs.ENTRY_HEADER + nameLength + 3) & ~3;
    }
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
    ByteBuffer raw = rawInode(inode.number());
    ByteBuffer root = raw.slice(0x28, 60).order(ByteOrder.LITTLE_ENDIAN);
    List<Extent> out = new ArrayList<>();
    collect(root, out, 0, inodeSeed(inode.number(), raw));
    return out;
  }

  private int inodeSeed(int number, ByteBuffer raw) {
    return checksums.inodeSeed(number, raw.getInt(0x64));
  }

  private void collect(ByteBuffer node, List<Extent> out, int level, int seed) throws IOException {
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
        ByteBuffer block = read(child * superblock.blockSize(), superblock.blockSize());
        int tail = 12 + u16(block, 4) * 12;
        if (checksummed && block.getInt(tail) != Checksums.extentBlock(seed, block, tail)) {
          throw new IOException("extent block " + child + " checksum mismatch");
        }
        collect(block, out, level + 1, seed);
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
