package dev.linux.env;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/** The formats {@code linux export} writes: a tar stream, plain or compressed on the host. */
public enum ExportFormat {
  TAR("tar"),
  TAR_GZ("tar.gz"),
  TAR_ZST("tar.zst");

  private final String label;

  ExportFormat(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** What {@code --format} takes: {@code tar}, {@code tar.gz} (or {@code tgz}), {@code tar.zst}. */
  public static ExportFormat parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "tar" -> TAR;
      case "tar.gz", "tgz", "gz", "gzip" -> TAR_GZ;
      case "tar.zst", "tzst", "zst", "zstd" -> TAR_ZST;
      default -> throw new EnvException(EnvException.Code.INVALID_ARGUMENT,
          "unknown export format '" + text + "': expected tar, tar.gz or tar.zst");
    };
  }

  /** The format a file name asks for by its extension; plain tar when it names none. */
  public static ExportFormat forFileName(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
      return TAR_GZ;
    }
    if (name.endsWith(".tar.zst") || name.endsWith(".tzst")) {
      return TAR_ZST;
    }
    return TAR;
  }

  /**
   * A stream that compresses into {@code out}; closing it ends the compressed stream but leaves
   * {@code out} open (it may be standard output).
   */
  OutputStream compressing(OutputStream out) throws IOException {
    OutputStream kept = new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush();
      }
    };
    return switch (this) {
      case TAR -> new java.io.BufferedOutputStream(kept, 1 << 16);
      case TAR_GZ -> new GZIPOutputStream(kept, 1 << 16);
      case TAR_ZST -> new java.io.BufferedOutputStream(new ZstdOutputStream(kept, 3), 1 << 16);
    };
  }
}
