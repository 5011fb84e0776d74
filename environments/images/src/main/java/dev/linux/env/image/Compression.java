package dev.linux.env.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Compression of a layer or rootfs tarball. The media type says what a layer should be, but the
 * magic bytes decide: registries and tools have been seen to label gzip layers as plain tar.
 */
public enum Compression {
  NONE,
  GZIP,
  BZIP2,
  XZ,
  ZSTD;

  private static final int MAGIC_LENGTH = 6;

  /** Recognises the compression from the first bytes of a stream; {@link #NONE} if none matches. */
  public static Compression detect(byte[] head, int length) {
    if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (length >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
      return BZIP2;
    }
    if (length >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X'
        && head[4] == 'Z' && head[5] == 0) {
      return XZ;
    }
    if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /**
   * Wraps {@code raw} in a decompressor chosen by its magic bytes.
   *
   * @param what names the content in error messages
   * @throws ImageException when the stream's first bytes cannot be read
   */
  public static InputStream decompress(InputStream raw, String what) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 65536);
    in.mark(MAGIC_LENGTH);
    byte[] head = in.readNBytes(MAGIC_LENGTH);
    in.reset();
    Compression compression = detect(head, head.length);
    try {
      return switch (compression) {
        case NONE -> in;
        case GZIP -> new CorruptionNaming(new GZIPInputStream(in, 65536), what);
        case BZIP2 -> new CorruptionNaming(new BZip2CompressorInputStream(in, true), what);
        case XZ -> new CorruptionNaming(new org.tukaani.xz.XZInputStream(in), what);
        case ZSTD -> new CorruptionNaming(new com.github.luben.zstd.ZstdInputStream(in), what);
      };
    } catch (java.util.zip.ZipException | java.io.EOFException | org.tukaani.xz.XZIOException e) {
      throw new ImageException(what + " is corrupt: " + describe(e), e);
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.io.EOFException) {
      return "truncated";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Turns decoder failures ("Corrupt GZIP trailer") into errors that name the content. */
  private static final class CorruptionNaming extends java.io.FilterInputStream {
    private final String what;

    CorruptionNaming(InputStream in, String what) {
      super(in);
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        throw corrupt(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        throw corrupt(e);
      } catch (IOException e) {
        if (e.getClass() == IOException.class && in instanceof BZip2CompressorInputStream
            || e instanceof org.tukaani.xz.XZIOException
            || e instanceof com.github.luben.zstd.ZstdIOException) {
          throw corrupt(e);
        }
        throw e;
      }
    }

    private ImageException corrupt(IOException e) {
      return new ImageException(what + " is corrupt: " + describe(e), e);
    }
  }
}
