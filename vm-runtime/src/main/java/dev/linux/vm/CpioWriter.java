package dev.linux.vm;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs: for each entry a
 * 110-byte ASCII header ({@code 070701} and 13 eight-digit hex fields), the NUL-terminated name
 * padded to a 4-byte boundary, then the data padded likewise; a {@code TRAILER!!!} entry ends it.
 * Parent directories must be written before their entries, as the kernel does not create them.
 * Timestamps and owners are zero, so equal inputs give equal archives.
 */
final class CpioWriter implements Closeable {
  static final String MAGIC = "070701";
  static final String TRAILER = "TRAILER!!!";
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;
  static final int S_IFCHR = 0020000;

  private final OutputStream out;
  private final Set<String> names = new HashSet<>();
  private long offset;
  private int nextInode = 1;
  private boolean finished;

  CpioWriter(OutputStream out) {
    this.out = out;
  }

  void directory(String name, int permissions) throws IOException {
    entry(name, S_IFDIR | permissions, 2, 0, 0, new byte[0]);
  }

  void file(String name, int permissions, byte[] data) throws IOException {
    entry(name, S_IFREG | permissions, 1, 0, 0, data);
  }

  /** A regular file of known size whose content is streamed from {@code data}. */
  void file(String name, int permissions, long size, InputStream data) throws IOException {
    header(name, S_IFREG | permissions, 1, size, 0, 0);
    long copied = data.transferTo(new BoundedOutput(out, size));
    if (copied != size) {
      throw new IOException(name + ": expected " + size + " bytes, got " + copied);
    }
    offset += size;
    pad();
  }

  void symlink(String name, String target) throws IOException {
    entry(name, S_IFLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
  }

  void characterDevice(String name, int permissions, int major, int minor) throws IOException {
    entry(name, S_IFCHR | permissions, 1, major, minor, new byte[0]);
  }

  /** Writes the trailer; the underlying stream stays open. */
  void finish() throws IOException {
    if (!finished) {
      finished = true;
      writeHeader(TRAILER, 0, 1, 0, 0, 0, 0);
      out.flush();
    }
  }

  @Override
  public void close() throws IOException {
    finish();
    out.close();
  }

  private void entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data)
      throws IOException {
    header(name, mode, nlink, data.length, rdevMajor, rdevMinor);
    out.write(data);
    offset += data.length;
    pad();
  }

  private void header(String name, int mode, int nlink, long size, int rdevMajor, int rdevMinor)
      throws IOException {
    if (finished) {
      throw new IllegalStateException("archive already finished");
    }
    if (name.isEmpty() || name.startsWith("/") || name.equals(TRAILER)) {
      throw new IllegalArgumentException("invalid cpio entry name '" + name + "'");
    }
    if (!names.add(name)) {
      throw new IllegalArgumentException("duplicate cpio entry '" + name + "'");
    }
    if (size > 0xFFFFFFFFL) {
      throw new IllegalArgumentException(name + ": too large for a newc archive");
    }
    writeHeader(name, mode, nlink, size, nextInode++, rdevMajor, rdevMinor);
  }

  private void writeHeader(
      String name, int mode, int nlink, long size, int inode, int rdevMajor, int rdevMinor)
      throws IOException {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder(110).append(MAGIC);
    long[] fields = {
      inode, mode, 0, 0, nlink, 0, size, 0, 0, rdevMajor, rdevMinor, nameBytes.length + 1, 0
    };
    for (long field : fields) {
      h.append(String.format("%08x", field));
    }
    out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(nameBytes);
    out.write(0);
    offset += 110 + nameBytes.length + 1;
    pad();
  }

  private void pad() throws IOException {
    while (offset % 4 != 0) {
      out.write(0);
      offset++;
    }
  }

  /** Refuses to pass on more than the declared size, so a growing source cannot corrupt the archive. */
  private static final class BoundedOutput extends OutputStream {
    private final OutputStream out;
    private long remaining;

    BoundedOutput(OutputStream out, long limit) {
      this.out = out;
      this.remaining = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > remaining) {
        throw new IOException("entry data longer than declared");
      }
      out.write(b, off, len);
      remaining -= len;
    }
  }
}
