package dev.linux.env.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a POSIX (ustar + PAX) tar stream, the format {@link TarReader} reads and the guest agent
 * writes. What ustar cannot hold goes into a PAX extended header before the entry: names and link
 * targets longer than 100 bytes or not ASCII, nanosecond mtimes, ids above 2097151, sizes of 8 GiB
 * and more, and extended attributes as {@code SCHILY.xattr.NAME} records whose values are written
 * byte for byte (capabilities are binary). Not taken from commons-compress, which encodes PAX
 * values as UTF-8 text and would corrupt binary attribute values.
 */
public final class TarWriter implements AutoCloseable {

  /** The kind of an entry, with its ustar type flag. */
  public enum Type {
    FILE('0'), HARD_LINK('1'), SYMLINK('2'), CHARACTER_DEVICE('3'), BLOCK_DEVICE('4'), DIRECTORY('5'), FIFO('6');

    final byte flag;

    Type(char flag) {
      this.flag = (byte) flag;
    }
  }

  /**
   * One entry's header.
   *
   * @param name path inside the archive, relative, directories ending in {@code /}
   * @param permissions mode bits {@code 07777}
   * @param size content length; only {@link Type#FILE} has content
   * @param linkName target of a symlink or hard link, else null
   * @param xattrs extended attributes by full name; never null
   */
  public record Header(
      String name, Type type, int permissions, long uid, long gid, long size, Instant mtime,
      String linkName, int deviceMajor, int deviceMinor, Map<String, byte[]> xattrs) {

    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(mtime, "mtime");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("empty entry name");
      }
      if (type != Type.FILE && size != 0) {
        throw new IllegalArgumentException(name + ": only regular files have content");
      }
      if ((type == Type.SYMLINK || type == Type.HARD_LINK) && (linkName == null || linkName.isEmpty())) {
        throw new IllegalArgumentException(name + ": a link needs a target");
      }
      xattrs = xattrs == null ? Map.of() : xattrs;
    }
  }

  private static final int BLOCK = 512;
  private static final long MAX_OCTAL_7 = 07777777L;
  private static final long MAX_OCTAL_11 = 077777777777L;

  private final OutputStream out;
  private long remaining;
  private long written;
  private boolean closed;

  public TarWriter(OutputStream out) {
    this.out = out;
  }

  /** Starts an entry; a {@link Type#FILE} entry's content follows through {@link #writeContent}. */
  public void putEntry(Header h) throws IOException {
    if (remaining != 0) {
      throw new IllegalStateException("the previous entry's content is incomplete (" + remaining + " bytes missing)");
    }
    Map<String, byte[]> pax = new LinkedHashMap<>();
    byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
    if (name.length > 100 || !isAscii(name)) {
      pax.put("path", name);
    }
    byte[] link = h.linkName() == null ? new byte[0] : h.linkName().getBytes(StandardCharsets.UTF_8);
    if (link.length > 100 || !isAscii(link)) {
      pax.put("linkpath", link);
    }
    if (h.uid() > MAX_OCTAL_7 || h.uid() < 0) {
      pax.put("uid", ascii(Long.toString(h.uid())));
    }
    if (h.gid() > MAX_OCTAL_7 || h.gid() < 0) {
      pax.put("gid", ascii(Long.toString(h.gid())));
    }
    if (h.size() > MAX_OCTAL_11) {
      pax.put("size", ascii(Long.toString(h.size())));
    }
    long seconds = h.mtime().getEpochSecond();
    if (h.mtime().getNano() != 0 || seconds < 0 || seconds > MAX_OCTAL_11) {
      pax.put("mtime", ascii(paxTime(h.mtime())));
    }
    if (h.deviceMajor() > MAX_OCTAL_7 || h.deviceMinor() > MAX_OCTAL_7) {
      pax.put("SCHILY.devmajor", ascii(Integer.toString(h.deviceMajor())));
      pax.put("SCHILY.devminor", ascii(Integer.toString(h.deviceMinor())));
    }
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
      pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
    }
    if (!pax.isEmpty()) {
      byte[] records = paxRecords(pax);
      String paxName = "PaxHeaders/" + truncate(h.name(), 80);
      writeBlock(ustar(paxName, (byte) 'x', 0644, 0, 0, records.length, Math.max(0, Math.min(seconds, MAX_OCTAL_11)), "", 0, 0));
      write(records, records.length);
    }
    writeBlock(ustar(h.name(), h.type().flag, h.permissions(), h.uid(), h.gid(), h.size(), seconds,
        h.linkName() == null ? "" : h.linkName(), h.deviceMajor(), h.deviceMinor()));
    remaining = h.size();
  }

  /** Writes content of the current entry. */
  public void writeContent(byte[] b, int off, int len) throws IOException {
    if (len > remaining) {
      throw new IllegalStateException("more content than the entry's size");
    }
    out.write(b, off, len);
    written += len;
    remaining -= len;
    if (remaining == 0) {
      pad();
    }
  }

  /** Writes exactly the current entry's remaining content from {@code in}. */
  public void writeContent(InputStream in) throws IOException {
    byte[] buffer = new byte[65536];
    while (remaining > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
      if (n < 0) {
        throw new IOException("content ended " + remaining + " bytes early");
      }
      writeContent(buffer, 0, n);
    }
  }

  /** Bytes written so far. */
  public long bytesWritten() {
    return written;
  }

  /** Ends the archive (two zero blocks) and flushes; does not close the underlying stream. */
  public void finish() throws IOException {
    if (remaining != 0) {
      throw new IllegalStateException("the last entry's content is incomplete (" + remaining + " bytes missing)");
    }
    out.write(new byte[2 * BLOCK]);
    written += 2 * BLOCK;
    out.flush();
    closed = true;
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      finish();
    }
  }

  private void write(byte[] data, int length) throws IOException {
    out.write(data, 0, length);
    written += length;
    pad();
  }

  private void pad() throws IOException {
    int rest = (int) (written % BLOCK);
    if (rest != 0) {
      out.write(new byte[BLOCK - rest]);
      written += BLOCK - rest;
    }
  }

  private void writeBlock(byte[] block) throws IOException {
    out.write(block);
    written += BLOCK;
  }

  private static byte[] ustar(String name, byte type, int mode, long uid, long gid, long size, long mtime,
      String link, int major, int minor) {
    byte[] b = new byte[BLOCK];
    putString(b, 0, 100, name);
    putOctal(b, 100, 8, mode & 07777);
    putOctal(b, 108, 8, uid >= 0 && uid <= MAX_OCTAL_7 ? uid : 0);
    putOctal(b, 116, 8, gid >= 0 && gid <= MAX_OCTAL_7 ? gid : 0);
    putOctal(b, 124, 12, size <= MAX_OCTAL_11 ? size : 0);
    putOctal(b, 136, 12, mtime >= 0 && mtime <= MAX_OCTAL_11 ? mtime : 0);
    Arrays.fill(b, 148, 156, (byte) ' ');
    b[156] = type;
    putString(b, 157, 100, link);
    System.arraycopy(ascii("ustar\u000000"), 0, b, 257, 8);
    if (type == Type.CHARACTER_DEVICE.flag || type == Type.BLOCK_DEVICE.flag) {
      putOctal(b, 329, 8, major <= MAX_OCTAL_7 ? major : 0);
      putOctal(b, 337, 8, minor <= MAX_OCTAL_7 ? minor : 0);
    }
    long sum = 0;
    for (byte x : b) {
      sum += x & 0xFF;
    }
    byte[] checksum = ascii(String.format("%06o", sum));
    System.arraycopy(checksum, 0, b, 148, 6);
    b[154] = 0;
    b[155] = ' ';
    return b;
  }

  /** ASCII prefix of a long name in the fixed field (readers use the PAX path instead). */
  private static void putString(byte[] b, int offset, int length, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    int n = 0;
    for (; n < Math.min(bytes.length, length); n++) {
      if (bytes[n] < 0) {
        break;
      }
      b[offset + n] = bytes[n];
    }
  }

  private static void putOctal(byte[] b, int offset, int length, long value) {
    String s = Long.toOctalString(value);
    String padded = "0".repeat(length - 1 - s.length()) + s;
    System.arraycopy(ascii(padded), 0, b, offset, length - 1);
    b[offset + length - 1] = 0;
  }

  /** {@code "LEN KEY=VALUE\n"} records, LEN counting the whole record including itself. */
  static byte[] paxRecords(Map<String, byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
      int body = 1 + key.length + 1 + r.getValue().length + 1; // ' ' KEY '=' VALUE '\n'
      int length = body + Integer.toString(body).length();
      if (Integer.toString(length).length() != Integer.toString(body).length()) {
        length = body + Integer.toString(length).length();
      }
      out.writeBytes(ascii(length + " "));
      out.writeBytes(key);
      out.write('=');
      out.writeBytes(r.getValue());
      out.write('\n');
    }
    return out.toByteArray();
  }

  private static String paxTime(Instant t) {
    long seconds = t.getEpochSecond();
    int nanos = t.getNano();
    if (nanos == 0) {
      return Long.toString(seconds);
    }
    if (seconds < 0) {
      // -1.5 s is second -2 plus 0.5 s: PAX writes the value with its sign
      long whole = seconds + 1;
      return (whole == 0 ? "-0" : Long.toString(whole)) + "." + String.format("%09d", 1_000_000_000 - nanos);
    }
    return seconds + "." + String.format("%09d", nanos);
  }

  private static String truncate(String s, int max) {
    String ascii = s.replaceAll("[^\\x20-\\x7e]", "_");
    return ascii.length() <= max ? ascii : ascii.substring(ascii.length() - max);
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte x : bytes) {
      if (x < 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
