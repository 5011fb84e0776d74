package dev.linux.vm;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads a Unix {@code ar} archive (the container of a {@code .deb}) member by member, streaming:
 * the magic {@code !<arch>\n}, then per member a 60-byte header (name 16, mtime 12, uid 6, gid 6,
 * mode 8, size 10, {@code `\n}) and the data, padded to an even length. GNU's {@code name/} form is
 * understood; BSD's long names ({@code #1/N}) are not needed for .deb files and are refused.
 * Errors are one line each and name what is wrong.
 */
final class ArReader implements AutoCloseable {
  private static final byte[] MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 60;

  /** One member: its name and size, and its data (valid until the next call to {@link #next}). */
  record Member(String name, long size, InputStream data) {}

  private final InputStream in;
  private final String what;
  private long remaining;
  private boolean padding;
  private boolean started;

  /** @param what names the archive in errors (e.g. the .deb's file name) */
  ArReader(InputStream in, String what) {
    this.in = in;
    this.what = what;
  }

  /** The next member, or empty at the end of the archive. */
  Optional<Member> next() throws IOException {
    if (!started) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(what + ": not an ar archive (no !<arch> header)");
      }
      started = true;
    }
    skipFully(remaining + (padding ? 1 : 0), true);
    remaining = 0;
    byte[] header = in.readNBytes(HEADER);
    if (header.length == 0) {
      return Optional.empty();
    }
    if (header.length < HEADER) {
      throw new IOException(what + ": truncated ar archive (member header cut short)");
    }
    if (header[58] != '`' || header[59] != '\n') {
      throw new IOException(what + ": corrupt ar archive (bad member header)");
    }
    String name = field(header, 0, 16);
    if (name.startsWith("#1/")) {
      throw new IOException(what + ": BSD long member names are not supported");
    }
    if (name.endsWith("/") && name.length() > 1) {
      name = name.substring(0, name.length() - 1);
    }
    String sizeText = field(header, 48, 10);
    long size;
    try {
      size = Long.parseLong(sizeText);
    } catch (NumberFormatException e) {
      throw new IOException(what + ": corrupt ar archive (member size '" + sizeText + "')");
    }
    if (size < 0 || name.isEmpty()) {
      throw new IOException(what + ": corrupt ar archive (member '" + name + "', size " + size + ")");
    }
    remaining = size;
    padding = size % 2 == 1;
    String memberName = name;
    InputStream data =
        new FilterInputStream(in) {
          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
              return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
              throw new EOFException(what + ": truncated ar archive (member " + memberName + ")");
            }
            remaining -= n;
            return n;
          }

          @Override
          public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long done = 0;
            while (done < n) {
              int r = read(buf, 0, (int) Math.min(buf.length, n - done));
              if (r < 0) {
                break;
              }
              done += r;
            }
            return done;
          }

          @Override
          public int available() throws IOException {
            return (int) Math.min(in.available(), remaining);
          }

          @Override
          public void close() {
            // The archive stays open for the next member.
          }
        };
    return Optional.of(new Member(name, size, data));
  }

  /** Reads past the rest of the current member (reading, not skip(): that may pass the end). */
  private void skipFully(long n, boolean checkEnd) throws IOException {
    byte[] buf = new byte[8192];
    long left = n;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        if (checkEnd && left == 1 && padding) {
          return; // a missing pad byte after the last member is harmless
        }
        throw new IOException(what + ": truncated ar archive");
      }
      left -= r;
    }
  }

  private static String field(byte[] header, int offset, int length) {
    return new String(header, offset, length, StandardCharsets.US_ASCII).strip();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
