package dev.linux.env.image;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A streaming reader for tar archives in the ustar, PAX and GNU formats. Written here rather than
 * taken from commons-compress because layers carry binary extended attributes in PAX records
 * ({@code SCHILY.xattr.security.capability}), which must survive byte for byte, and because a
 * truncated archive must fail loudly instead of ending early.
 *
 * <p>Entry content is never buffered: {@link #content()} reads it straight from the archive.
 */
final class TarReader {

  private static final int BLOCK = 512;
  private static final int MAX_META_SIZE = 1 << 20;

  private final InputStream in;
  private final String what;
  private final byte[] header = new byte[BLOCK];
  private final Map<String, byte[]> globalPax = new HashMap<>();
  private long remaining;
  private long padding;
  private TarEntry current;
  private boolean finished;

  /** @param what names the archive in error messages, e.g. {@code "layer sha256:…"} */
  TarReader(InputStream in, String what) {
    this.in = in;
    this.what = what;
  }

  /** The next entry, or null at the end of the archive. Unread content of the previous entry is skipped. */
  TarEntry next() throws IOException {
    if (finished) {
      return null;
    }
    skipRest();
    Map<String, byte[]> pax = new HashMap<>(globalPax);
    String longName = null;
    String longLink = null;
    while (true) {
      int n = in.readNBytes(header, 0, BLOCK);
      if (n == 0) {
        finished = true; // no end-of-archive blocks: tolerated, as GNU tar does
        return null;
      }
      if (n < BLOCK) {
        throw truncated();
      }
      if (isZero(header)) {
        finished = true;
        return null;
      }
      verifyChecksum();
      char typeFlag = (char) (header[156] & 0xff);
      long size = number(124, 12, "size");
      switch (typeFlag) {
        case 'x' -> pax.putAll(paxRecords(readMeta(size)));
        case 'g' -> {
          Map<String, byte[]> records = paxRecords(readMeta(size));
          globalPax.putAll(records);
          pax.putAll(records);
        }
        case 'L' -> longName = cString(readMeta(size), 0, (int) size);
        case 'K' -> longLink = cString(readMeta(size), 0, (int) size);
        default -> {
          current = entry(typeFlag, size, pax, longName, longLink);
          remaining = current.size();
          padding = padding(remaining);
          return current;
        }
      }
    }
  }

  /** The content of the current entry; reads past it return end of stream. */
  InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
          return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw truncated();
        }
        remaining -= n;
        return n;
      }
    };
  }

  private TarEntry entry(char typeFlag, long size, Map<String, byte[]> pax, String longName, String longLink)
      throws IOException {
    String name = cString(header, 0, 100);
    String magic = new String(header, 257, 6, StandardCharsets.ISO_8859_1);
    boolean gnu = magic.equals("ustar ");
    if (magic.startsWith("ustar") && !gnu) {
      String prefix = cString(header, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    String linkName = cString(header, 157, 100);
    if (longName != null) {
      name = longName;
    }
    if (longLink != null) {
      linkName = longLink;
    }
    int mode = (int) (number(100, 8, "mode") & 07777);
    long uid = number(108, 8, "uid");
    long gid = number(116, 8, "gid");
    Instant mtime = Instant.ofEpochSecond(number(136, 12, "mtime"));
    Instant atime = null;
    Instant ctime = null;
    if (gnu) {
      long a = number(345, 12, "atime");
      long c = number(357, 12, "ctime");
      atime = a == 0 ? null : Instant.ofEpochSecond(a);
      ctime = c == 0 ? null : Instant.ofEpochSecond(c);
    }
    int devMajor = (int) number(329, 8, "devmajor");
    int devMinor = (int) number(337, 8, "devminor");
    Map<String, byte[]> xattrs = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> record : pax.entrySet()) {
      String key = record.getKey();
      String value = new String(record.getValue(), StandardCharsets.UTF_8);
      switch (key) {
        case "path" -> name = value;
        case "linkpath" -> linkName = value;
        case "size" -> size = paxLong(key, value);
        case "uid" -> uid = paxLong(key, value);
        case "gid" -> gid = paxLong(key, value);
        case "mtime" -> mtime = paxTime(key, value);
        case "atime" -> atime = paxTime(key, value);
        case "ctime" -> ctime = paxTime(key, value);
        case "SCHILY.devmajor" -> devMajor = (int) paxLong(key, value);
        case "SCHILY.devminor" -> devMinor = (int) paxLong(key, value);
        default -> {
          if (key.startsWith("SCHILY.xattr.")) {
            xattrs.put(key.substring("SCHILY.xattr.".length()), record.getValue());
          } else if (key.startsWith("LIBARCHIVE.xattr.")) {
            String attr = java.net.URLDecoder.decode(key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
            xattrs.putIfAbsent(attr, Base64.getDecoder().decode(value.strip()));
          } else if (key.startsWith("GNU.sparse.")) {
            throw new ImageException(what + ": entry '" + name + "' is a sparse file, which is not supported");
          }
        }
      }
    }
    TarEntry.Type type = switch (typeFlag) {
      case '0', '\0', '7' -> name.endsWith("/") && typeFlag == '\0' ? TarEntry.Type.DIRECTORY : TarEntry.Type.FILE;
      case '1' -> TarEntry.Type.HARD_LINK;
      case '2' -> TarEntry.Type.SYMLINK;
      case '3' -> TarEntry.Type.CHARACTER_DEVICE;
      case '4' -> TarEntry.Type.BLOCK_DEVICE;
      case '5' -> TarEntry.Type.DIRECTORY;
      case '6' -> TarEntry.Type.FIFO;
      case 'S' -> throw new ImageException(what + ": entry '" + name + "' is a sparse file, which is not supported");
      default -> throw new ImageException(what + ": entry '" + name + "' has unsupported tar type '" + typeFlag + "'");
    };
    if (type != TarEntry.Type.FILE) {
      // Links, directories and devices carry no data (a hard link's size field is ignored by readers too).
      size = type == TarEntry.Type.HARD_LINK || type == TarEntry.Type.SYMLINK || type == TarEntry.Type.DIRECTORY
          ? 0 : size;
    }
    if (size < 0) {
      throw new ImageException(what + ": entry '" + name + "' has a negative size");
    }
    return new TarEntry(name, type, mode, uid, gid, size, mtime, atime, ctime, linkName, devMajor, devMinor, xattrs);
  }

  private byte[] readMeta(long size) throws IOException {
    if (size > MAX_META_SIZE) {
      throw new ImageException(what + ": tar extended header of " + size + " bytes is too large");
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length < size) {
      throw truncated();
    }
    try {
      in.skipNBytes(padding(size));
    } catch (java.io.EOFException e) {
      throw truncated();
    }
    return data;
  }

  private Map<String, byte[]> paxRecords(byte[] data) {
    Map<String, byte[]> records = new LinkedHashMap<>();
    int pos = 0;
    while (pos < data.length) {
      if (data[pos] == 0) {
        break; // some writers pad with NULs
      }
      int space = pos;
      while (space < data.length && data[space] != ' ') {
        space++;
      }
      int length;
      try {
        length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        throw new ImageException(what + ": malformed PAX header record");
      }
      int end = pos + length;
      if (length <= 0 || end > data.length || data[end - 1] != '\n') {
        throw new ImageException(what + ": malformed PAX header record");
      }
      int eq = space + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end) {
        throw new ImageException(what + ": malformed PAX header record");
      }
      String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end - 1);
      records.put(key, value);
      pos = end;
    }
    return records;
  }

  private long paxLong(String key, String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new ImageException(what + ": malformed PAX '" + key + "' value '" + value + "'");
    }
  }

  private Instant paxTime(String key, String value) {
    try {
      BigDecimal seconds = new BigDecimal(value.strip());
      BigDecimal whole = seconds.setScale(0, java.math.RoundingMode.FLOOR);
      long nanos = seconds.subtract(whole).movePointRight(9).setScale(0, java.math.RoundingMode.DOWN).longValueExact();
      return Instant.ofEpochSecond(whole.longValueExact(), nanos);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ImageException(what + ": malformed PAX '" + key + "' value '" + value + "'");
    }
  }

  /** Octal (NUL/space terminated), or base-256 when the top bit of the first byte is set (GNU/star). */
  private long number(int offset, int length, String field) {
    int first = header[offset] & 0xff;
    if ((first & 0x80) != 0) {
      long value = (first & 0x40) != 0 ? -1 : 0; // 0xff marks a negative number
      value = (value << 6) | (first & 0x3f);
      for (int i = 1; i < length; i++) {
        value = (value << 8) | (header[offset + i] & 0xff);
      }
      return value;
    }
    long value = 0;
    int i = offset;
    int end = offset + length;
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    for (; i < end && header[i] != ' ' && header[i] != 0; i++) {
      int digit = header[i] - '0';
      if (digit < 0 || digit > 7) {
        throw new ImageException(what + ": corrupt tar header (bad " + field + " field)");
      }
      value = (value << 3) | digit;
    }
    return value;
  }

  private void verifyChecksum() {
    long stored = number(148, 8, "checksum");
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int b = (i >= 148 && i < 156) ? ' ' : header[i];
      unsigned += b & 0xff;
      signed += (i >= 148 && i < 156) ? ' ' : header[i];
    }
    if (stored != unsigned && stored != signed) {
      throw new ImageException(what + ": corrupt tar header (checksum mismatch)");
    }
  }

  private void skipRest() throws IOException {
    if (current == null) {
      return;
    }
    long toSkip = remaining + padding;
    remaining = 0;
    padding = 0;
    current = null;
    if (toSkip > 0) {
      try {
        in.skipNBytes(toSkip);
      } catch (java.io.EOFException e) {
        throw truncated();
      }
    }
  }

  private ImageException truncated() {
    return new ImageException(what + " is truncated"
        + (current == null ? "" : ": unexpected end of data in entry '" + current.name() + "'"));
  }

  private static long padding(long size) {
    return (BLOCK - size % BLOCK) % BLOCK;
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static String cString(byte[] data, int offset, int length) {
    int end = offset;
    while (end < offset + length && data[end] != 0) {
      end++;
    }
    return new String(data, offset, end - offset, StandardCharsets.UTF_8);
  }
}
