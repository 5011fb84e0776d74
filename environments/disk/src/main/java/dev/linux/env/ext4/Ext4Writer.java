package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4Format.*;

import dev.linux.env.ext4.FileTree.Directory;
import dev.linux.env.ext4.FileTree.Node;
import dev.linux.env.ext4.FileTree.RegularFile;
import dev.linux.env.ext4.FileTree.Special;
import dev.linux.env.ext4.FileTree.Symlink;
import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a filesystem tree straight into a sparse EXT4 image file, without root, loop devices or
 * mkfs.
 *
 * <p>File content is streamed to data blocks as it arrives (all-zero blocks stay holes, in the
 * extent map and in the image file); only the tree's names and metadata are held in memory.
 * {@link #close()} lays out directories, inodes, extent trees, bitmaps, group descriptors,
 * superblocks and the journal, then syncs. The primary superblock is written last, so an image
 * whose writing failed part-way is never mistaken for a valid filesystem.
 *
 * <p>Extended attributes in {@link FileMeta#xattrs()} are stored in the inode where they fit and
 * otherwise in one xattr block, shared by every inode with the same attributes. All metadata
 * carries metadata_csum checksums.
 */
public final class Ext4Writer implements FileTreeSink, AutoCloseable {
  private static final int BLOCK = Layout.BLOCK_SIZE;
  private static final int CHUNK_BLOCKS = 256;
  private static final byte[] ZERO_BLOCK = new byte[BLOCK];
  private static final long MAX_FILE_BLOCKS = 1L << 32;
  private static final XattrEncoder.Encoded NO_XATTRS = new XattrEncoder.Encoded(null, null);

  private final Ext4Options options;
  private final RandomAccessFile file;
  private final FileChannel channel;
  private final Layout layout;
  private final BlockAllocator allocator;
  private final FileTree tree;
  private final ExtentList journal = new ExtentList();
  private final int journalBlocks;
  private final byte[] chunk = new byte[CHUNK_BLOCKS * BLOCK];
  private final Checksums checksums;
  private final DirectoryHash directoryHash;
  private boolean failed;
  private boolean closed;

  private Ext4Writer(Ext4Options options, RandomAccessFile file, Layout layout, int journalBlocks) {
    this.options = options;
    this.file = file;
    this.channel = file.getChannel();
    this.layout = layout;
    this.allocator = new BlockAllocator(layout, layout.firstDataBlock);
    this.tree = new FileTree(options.createdAt());
    this.journalBlocks = journalBlocks;
    this.checksums = new Checksums(options.uuid());
    this.directoryHash = MetadataEncoder.directoryHash(options.uuid());
  }

  /** Creates (or truncates) {@code path} as a sparse file of the filesystem's size. */
  public static Ext4Writer create(Path path, Ext4Options options) throws IOException {
    Objects.requireNonNull(path, "path");
    Layout layout = new Layout(options.sizeBytes(), options.bytesPerInode());
    int journalBlocks = options.journalBlocks() == Ext4Options.DEFAULT_JOURNAL
        ? Layout.defaultJournalBlocks(layout.blocksCount)
        : options.journalBlocks();
    RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
    try {
      file.setLength(0);
      file.setLength(options.sizeBytes());
      Ext4Writer writer = new Ext4Writer(options, file, layout, journalBlocks);
      writer.allocateJournal();
      return writer;
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  static String tooSmall(long neededBytes) {
    long mib = (neededBytes + (1 << 20) - 1) >> 20;
    return "disk too small: image needs at least " + mib + " MiB";
  }

  private void allocateJournal() throws IOException {
    if (journalBlocks == 0) {
      return;
    }
    BlockAllocator.Run run = allocator.allocateContiguous(journalBlocks);
    if (run != null) {
      journal.add(0, run.start(), run.length());
      return;
    }
    for (long done = 0; done < journalBlocks; ) {
      run = allocator.allocate(journalBlocks - done, 0);
      journal.add(done, run.start(), run.length());
      done += run.length();
    }
  }

  @Override
  public void directory(String path, FileMeta meta) throws IOException {
    ensureOpen();
    Objects.requireNonNull(meta, "meta");
    XattrEncoder.encode(meta.xattrs(), path);
    tree.directory(path, meta);
  }

  @Override
  public void regularFile(String path, FileMeta meta, long size, InputStream content)
      throws IOException {
    ensureOpen();
    Objects.requireNonNull(meta, "meta");
    FileTree.requireNotRoot(path);
    XattrEncoder.encode(meta.xattrs(), path);
    long totalBlocks = (size + BLOCK - 1) / BLOCK;
    if (size < 0 || totalBlocks > MAX_FILE_BLOCKS) {
      throw new IllegalArgumentException("file size out of range: " + size + " for " + path);
    }
    ExtentList extents = new ExtentList();
    long logical = 0;
    long remaining = size;
    while (remaining > 0) {
      int wanted = (int) Math.min(chunk.length, remaining);
      int read = content.readNBytes(chunk, 0, wanted);
      if (read < wanted) {
        throw new EOFException("content of " + path + " ended after " + (size - remaining + read)
            + " of " + size + " bytes");
      }
      int blocks = (read + BLOCK - 1) / BLOCK;
      Arrays.fill(chunk, read, blocks * BLOCK, (byte) 0);
      writeNonZeroRuns(extents, logical, blocks, totalBlocks);
      logical += blocks;
      remaining -= read;
    }
    tree.put(path, new RegularFile(meta, size, extents));
  }

  /** Writes the non-zero blocks of {@link #chunk}; zero blocks become holes. */
  private void writeNonZeroRuns(ExtentList extents, long logical, int blocks, long totalBlocks)
      throws IOException {
    int b = 0;
    while (b < blocks) {
      if (isZero(b)) {
        b++;
        continue;
      }
      int end = b + 1;
      while (end < blocks && !isZero(end)) {
        end++;
      }
      while (b < end) {
        BlockAllocator.Run run;
        try {
          run = allocator.allocate(end - b, totalBlocks - (logical + end));
        } catch (IOException e) {
          failed = true;
          throw e;
        }
        write(ByteBuffer.wrap(chunk, b * BLOCK, (int) run.length() * BLOCK), run.start());
        extents.add(logical + b, run.start(), run.length());
        b += (int) run.length();
      }
    }
  }

  private boolean isZero(int block) {
    return Arrays.mismatch(chunk, block * BLOCK, (block + 1) * BLOCK, ZERO_BLOCK, 0, BLOCK) < 0;
  }

  @Override
  public void symlink(String path, String target, FileMeta meta) throws IOException {
    ensureOpen();
    Objects.requireNonNull(meta, "meta");
    byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
    if (bytes.length == 0 || bytes.length >= BLOCK || target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("symlink target must be 1 to 4095 bytes without NUL: " + path);
    }
    XattrEncoder.encode(meta.xattrs(), path);
    tree.put(path, new Symlink(meta, bytes));
  }

  @Override
  public void hardLink(String path, String existingPath) throws IOException {
    ensureOpen();
    tree.hardLink(path, existingPath);
  }

  @Override
  public void special(String path, SpecialType type, int major, int minor, FileMeta meta)
      throws IOException {
    ensureOpen();
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(meta, "meta");
    if (major < 0 || major > 0xFFF || minor < 0 || minor > 0xFFFFF) {
      throw new IllegalArgumentException("device number out of range: " + major + ":" + minor);
    }
    XattrEncoder.encode(meta.xattrs(), path);
    tree.put(path, new Special(meta, type, major, minor));
  }

  @Override
  public void remove(String path) throws IOException {
    ensureOpen();
    tree.remove(path);
  }

  @Override
  public void clearDirectory(String path) throws IOException {
    ensureOpen();
    tree.clearDirectory(path);
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("writer is closed");
    }
    if (failed) {
      throw new IOException("writer failed earlier; the image is unusable");
    }
  }

  /**
   * Finishes the filesystem and closes the file. After an earlier failure (such as a full disk)
   * it only closes the file, which then holds no valid filesystem.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (file) {
      if (!failed) {
        new Finisher().run();
      }
    }
  }

  private void write(ByteBuffer data, long block) throws IOException {
    writeAt(data, block * BLOCK);
  }

  private void writeAt(ByteBuffer data, long position) throws IOException {
    try {
      while (data.hasRemaining()) {
        position += channel.write(data, position);
      }
    } catch (IOException e) {
      failed = true;
      throw e;
    }
  }

  /** Lays out and writes everything but file content, in one pass over the inodes. */
  private final class Finisher implements ExtentTree.BlockStore {
    private final BitSet used = new BitSet();
    private final List<Node> inodes = new ArrayList<>();
    private final int[] usedDirs = new int[layout.groupCount];
    /** Parents of directories not yet written, for their ".." entries. */
    private final Map<Directory, Integer> parents = new IdentityHashMap<>();
    private ByteBuffer table;
    private int tableGroup = -1;
    private long freeBlockTotal;
    private final SharedXattrBlocks xattrBlocks = new SharedXattrBlocks(checksums,
        new SharedXattrBlocks.Allocator() {
          @Override
          public long allocate() throws IOException {
            return allocateBlock();
          }

          @Override
          public void write(long block, ByteBuffer content) throws IOException {
            writeBlock(block, content);
          }
        });
    /** The attributes of the inode being written. */
    private XattrEncoder.Encoded xattrs = NO_XATTRS;
    private long xattrBlock;

    void run() throws IOException {
      Directory root = tree.root();
      Node lostFound = root.children.get("lost+found");
      if (lostFound == null) {
        lostFound = new Directory(FileMeta.of(0700, options.createdAt()));
        root.children.put("lost+found", lostFound);
      }
      numberInodes(root, lostFound instanceof Directory ? lostFound : null);
      long inodesNeeded = Layout.FIRST_INO - 1L + inodes.size();
      if (inodesNeeded > layout.totalInodes()) {
        throw new IOException(tooSmall(inodesNeeded * options.bytesPerInode())
            + " (" + inodesNeeded + " inodes at one per " + options.bytesPerInode() + " bytes)");
      }
      markMetadata();
      byte[] journalRoot = null;
      if (journalBlocks > 0) {
        journalRoot = writeInode(JOURNAL_INO, S_IFREG | 0600, FileMeta.of(0600, options.createdAt()),
            (long) journalBlocks * BLOCK, 1, journal);
        write(ByteBuffer.wrap(MetadataEncoder.journalSuperblock(journalBlocks, options.uuid())),
            journal.physical(0));
      }
      writeNode(root, ROOT_INO);
      for (int i = 0; i < inodes.size(); i++) {
        writeNode(inodes.get(i), Layout.FIRST_INO + i);
      }
      flushTable();
      xattrBlocks.finish(channel);
      long freeInodes = writeBitmaps();
      channel.force(true);
      writeSuperblocks(journalRoot, freeInodes);
      channel.force(true);
    }

    /** Numbers inodes depth-first (lost+found gets 11, as mke2fs gives it) and counts links. */
    private void numberInodes(Directory root, Node lostFound) {
      root.ino = ROOT_INO;
      if (lostFound != null) {
        lostFound.ino = Layout.FIRST_INO;
        inodes.add(lostFound);
      }
      Deque<Directory> pending = new ArrayDeque<>();
      pending.push(root);
      while (!pending.isEmpty()) {
        Directory dir = pending.pop();
        int subdirs = 0;
        for (Node child : dir.children.values()) {
          if (child.ino == 0) {
            child.ino = Layout.FIRST_INO + inodes.size();
            inodes.add(child);
          }
          if (child instanceof Directory d) {
            subdirs++;
            pending.push(d);
          } else {
            child.links++;
          }
        }
        // dir_nlink: a directory with too many subdirectories says 1 ("not counted")
        dir.links = 2 + subdirs < 65000 ? 2 + subdirs : 1;
      }
    }

    private void markMetadata() {
      for (int g = 0; g < layout.groupCount; g++) {
        long start = layout.groupStart(g);
        used.set((int) start, (int) (start + layout.superblockCopyBlocks(g)));
        used.set((int) layout.blockBitmap[g]);
        used.set((int) layout.inodeBitmap[g]);
        used.set((int) layout.inodeTable[g], (int) (layout.inodeTable[g] + layout.inodeTableBlocks));
      }
      markExtents(journal);
    }

    private void markExtents(ExtentList extents) {
      for (int i = 0; i < extents.size(); i++) {
        used.set((int) extents.physical(i), (int) (extents.physical(i) + extents.length(i)));
      }
    }

    private void writeNode(Node node, int ino) throws IOException {
      FileMeta meta = node.meta;
      xattrs = XattrEncoder.encode(meta.xattrs(), "inode " + ino);
      xattrBlock = xattrs.block() == null ? 0 : xattrBlocks.blockFor(xattrs.block());
      int perm = meta.permissions();
      switch (node) {
        case Directory dir -> {
          int seed = checksums.inodeSeed(ino, 0);
          int parent = parentOf(dir, ino);
          List<HashTreeEncoder.Entry> entries = new ArrayList<>(dir.children.size());
          for (var entry : dir.children.entrySet()) {
            entries.add(new HashTreeEncoder.Entry(entry.getKey().getBytes(StandardCharsets.UTF_8),
                entry.getValue().ino, fileType(entry.getValue())));
          }
          byte[] blocks;
          int flags = INODE_FLAG_EXTENTS;
          if (HashTreeEncoder.fitsOneBlock(entries)) {
            DirectoryEncoder encoder = new DirectoryEncoder(seed);
            encoder.add(new byte[] {'.'}, ino, FT_DIR);
            encoder.add(new byte[] {'.', '.'}, parent, FT_DIR);
            for (HashTreeEncoder.Entry e : entries) {
              encoder.add(e.name(), e.ino(), e.fileType());
            }
            blocks = encoder.finish(ino == Layout.FIRST_INO ? 4 : 1);
          } else {
            blocks = HashTreeEncoder.encode(entries, ino, parent, directoryHash, DirectoryHash.HALF_MD4, seed);
            flags |= INODE_FLAG_INDEX;
          }
          entries = null;
          ExtentList extents = writeData(blocks);
          writeInode(ino, S_IFDIR | perm, meta, blocks.length, dir.links, extents, flags);
          usedDirs[group(ino)]++;
        }
        case RegularFile file -> writeInode(ino, S_IFREG | perm, meta, file.size, file.links, file.extents);
        case Symlink link -> {
          if (link.target.length < FAST_SYMLINK_MAX) {
            inode(ino, S_IFLNK | perm, meta, link.target.length, link.links, 0, 0, link.target);
          } else {
            ExtentList extents = writeData(Arrays.copyOf(link.target, BLOCK));
            writeInode(ino, S_IFLNK | perm, meta, link.target.length, link.links, extents);
          }
        }
        case Special special -> {
          int type = switch (special.type) {
            case CHARACTER_DEVICE -> S_IFCHR;
            case BLOCK_DEVICE -> S_IFBLK;
            case FIFO -> S_IFIFO;
          };
          ByteBuffer iBlock = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
          if (special.type != SpecialType.FIFO) {
            for (int word : encodeDevice(special.major, special.minor)) {
              iBlock.putInt(word);
            }
          }
          inode(ino, type | perm, meta, 0, special.links, 0, 0, iBlock.array());
        }
      }
    }

    /** Registers the children of {@code dir} and returns its own parent (directories are numbered after their parent). */
    private int parentOf(Directory dir, int ino) {
      for (Node child : dir.children.values()) {
        if (child instanceof Directory d) {
          parents.put(d, ino);
        }
      }
      Integer parent = parents.remove(dir);
      return parent == null ? ROOT_INO : parent;
    }

    private static int fileType(Node node) {
      return switch (node) {
        case Directory d -> FT_DIR;
        case RegularFile f -> FT_REG;
        case Symlink s -> FT_SYMLINK;
        case Special s -> switch (s.type) {
          case CHARACTER_DEVICE -> FT_CHR;
          case BLOCK_DEVICE -> FT_BLK;
          case FIFO -> FT_FIFO;
        };
      };
    }

    /** Writes metadata content (directory blocks, a long symlink) to newly allocated blocks. */
    private ExtentList writeData(byte[] content) throws IOException {
      ExtentList extents = new ExtentList();
      long blocks = content.length / BLOCK;
      for (long done = 0; done < blocks; ) {
        BlockAllocator.Run run = allocator.allocate(blocks - done, 0);
        write(ByteBuffer.wrap(content, (int) done * BLOCK, (int) run.length() * BLOCK), run.start());
        extents.add(done, run.start(), run.length());
        done += run.length();
      }
      return extents;
    }

    /** Encodes an extent-mapped inode; returns its i_block (the extent root). */
    private byte[] writeInode(int ino, int mode, FileMeta meta, long size, int links, ExtentList extents)
        throws IOException {
      return writeInode(ino, mode, meta, size, links, extents, INODE_FLAG_EXTENTS);
    }

    private byte[] writeInode(int ino, int mode, FileMeta meta, long size, int links, ExtentList extents,
        int flags) throws IOException {
      ExtentTree.Encoded tree = ExtentTree.encode(extents, this, checksums.inodeSeed(ino, 0));
      markExtents(extents);
      long blocks = extents.mappedBlocks() + tree.treeBlocks().length;
      inode(ino, mode, meta, size, links, blocks * (BLOCK / 512), flags, tree.root());
      return tree.root();
    }

    private void inode(int ino, int mode, FileMeta meta, long size, int links, long blocks512,
        int flags, byte[] iBlock) throws IOException {
      XattrEncoder.Encoded attrs = xattrs;
      long attrBlock = xattrBlock;
      xattrs = NO_XATTRS;
      xattrBlock = 0;
      if (attrBlock != 0) {
        blocks512 += BLOCK / 512;
      }
      int g = group(ino);
      if (g != tableGroup) {
        flushTable();
        table = ByteBuffer.allocate(layout.inodeTableBlocks * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        tableGroup = g;
      }
      int index = (ino - 1) % layout.inodesPerGroup;
      int offset = index * Layout.INODE_SIZE;
      InodeEncoder.encode(table, offset, mode, meta, options.createdAt(), size,
          links, blocks512, flags, iBlock);
      if (attrs.inodeArea() != null) {
        table.put(offset + XattrEncoder.INODE_AREA_OFFSET, attrs.inodeArea());
      }
      table.putInt(offset + 0x68, (int) attrBlock);
      table.putShort(offset + 0x76, (short) (attrBlock >>> 32));
      checksums.sealInode(ino, table, index * Layout.INODE_SIZE, Layout.INODE_SIZE);
    }

    private void flushTable() throws IOException {
      if (tableGroup < 0) {
        return;
      }
      // inodes are numbered densely, so the used part of a table is a prefix; the rest stays sparse
      int usedBytes = table.capacity();
      while (usedBytes > 0 && Arrays.mismatch(table.array(), usedBytes - BLOCK, usedBytes,
          ZERO_BLOCK, 0, BLOCK) < 0) {
        usedBytes -= BLOCK;
      }
      write(ByteBuffer.wrap(table.array(), 0, usedBytes), layout.inodeTable[tableGroup]);
      tableGroup = -1;
    }

    private int group(int ino) {
      return (ino - 1) / layout.inodesPerGroup;
    }

    @Override
    public long allocateBlock() throws IOException {
      return allocator.allocate(1, 0).start();
    }

    @Override
    public void writeBlock(long block, ByteBuffer content) throws IOException {
      used.set((int) block);
      write(content, block);
    }

    /** Writes block and inode bitmaps and the descriptors; returns the free inode count. */
    private long writeBitmaps() throws IOException {
      MetadataEncoder.GroupState[] states = new MetadataEncoder.GroupState[layout.groupCount];
      long usedInodes = Layout.FIRST_INO - 1L + inodes.size();
      long totalFreeInodes = 0;
      long totalFreeBlocks = 0;
      for (int g = 0; g < layout.groupCount; g++) {
        byte[] bits = new byte[BLOCK];
        long start = layout.groupStart(g);
        int inGroup = layout.blocksInGroup(g);
        BitSet slice = used.get((int) start, (int) (start + inGroup));
        byte[] set = slice.toByteArray();
        System.arraycopy(set, 0, bits, 0, set.length);
        setPadding(bits, inGroup);
        int freeBlocks = inGroup - slice.cardinality();
        int blockCsum = checksums.bitmap(bits, Layout.BLOCKS_PER_GROUP / 8);
        writeIfNonZero(bits, layout.blockBitmap[g]);

        bits = new byte[BLOCK];
        long firstIno = (long) g * layout.inodesPerGroup;
        int usedHere = (int) Math.max(0, Math.min(layout.inodesPerGroup, usedInodes - firstIno));
        setRange(bits, 0, usedHere);
        setPadding(bits, layout.inodesPerGroup);
        int inodeCsum = checksums.bitmap(bits, layout.inodesPerGroup / 8);
        writeIfNonZero(bits, layout.inodeBitmap[g]);

        // uninit flags let the kernel and e2fsck skip untouched groups and unused inode tables;
        // the tables are all zero (sparse), so they are marked zeroed as well
        int flags = MetadataEncoder.BG_INODE_ZEROED;
        if (usedHere == 0) {
          flags |= MetadataEncoder.BG_INODE_UNINIT;
        }
        if (g > 0 && g < layout.groupCount - 1 && slice.cardinality() == layout.superblockCopyBlocks(g)) {
          flags |= MetadataEncoder.BG_BLOCK_UNINIT;
        }
        int freeInodes = layout.inodesPerGroup - usedHere;
        states[g] = new MetadataEncoder.GroupState(freeBlocks, freeInodes, usedDirs[g], flags,
            layout.inodesPerGroup - usedHere, blockCsum, inodeCsum);
        totalFreeInodes += freeInodes;
        totalFreeBlocks += freeBlocks;
      }
      byte[] gdt = MetadataEncoder.groupDescriptors(layout, states, checksums);
      for (int g = 0; g < layout.groupCount; g++) {
        if (Layout.hasSuperblockCopy(g)) {
          write(ByteBuffer.wrap(gdt), layout.groupStart(g) + 1);
        }
      }
      this.freeBlockTotal = totalFreeBlocks;
      return totalFreeInodes;
    }

    private void writeSuperblocks(byte[] journalRoot, long freeInodes) throws IOException {
      long journalBytes = (long) journalBlocks * BLOCK;
      for (int g = layout.groupCount - 1; g >= 0; g--) {
        if (!Layout.hasSuperblockCopy(g)) {
          continue;
        }
        byte[] sb = MetadataEncoder.superblock(
            layout, options, freeBlockTotal, freeInodes, journalRoot, journalBytes, g);
        long position = g == 0 ? SUPERBLOCK_OFFSET : layout.groupStart(g) * BLOCK;
        writeAt(ByteBuffer.wrap(sb), position);
      }
    }

    private void writeIfNonZero(byte[] block, long blockNumber) throws IOException {
      if (Arrays.mismatch(block, ZERO_BLOCK) >= 0) {
        write(ByteBuffer.wrap(block), blockNumber);
      }
    }

    private static void setPadding(byte[] bits, int from) {
      setRange(bits, from, BLOCK * 8);
    }

    private static void setRange(byte[] bits, int from, int to) {
      for (int i = from; i < to; i++) {
        bits[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
  }
}
