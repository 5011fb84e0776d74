package dev.linux.env.image;

import dev.linux.env.fs.FileTreeSink;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A plain root filesystem tarball, as {@code linux import NAME FILE} takes it (WSL style): a tar,
 * optionally compressed with gzip or bzip2 (recognised by its first bytes, not its name), applied
 * to a sink as one layer with no whiteout processing. xz and zstd are recognised and refused
 * with a clear message until the project ships their decoders.
 */
public final class RootfsTarball {

  private RootfsTarball() {}

  /** Applies the tarball in {@code file}, reporting progress as one layer of the file's size. */
  public static long apply(Path file, FileTreeSink sink, ProgressListener listener) throws IOException {
    String what = "tarball " + file.getFileName();
    long size;
    InputStream raw;
    try {
      size = Files.size(file);
      raw = Files.newInputStream(file);
    } catch (NoSuchFileException e) {
      throw new ImageException("no such file: " + file);
    }
    listener.started(0, 1, file.getFileName().toString(), size);
    try (InputStream counted = new CountingInputStream(raw, listener, 0, size)) {
      long entries = apply(counted, what, sink);
      counted.transferTo(java.io.OutputStream.nullOutputStream());
      listener.finished(0, 1);
      return entries;
    }
  }

  /**
   * Applies a tarball read from {@code in} (e.g. standard input).
   *
   * @param what names the tarball in error messages
   * @return the number of entries applied
   */
  public static long apply(InputStream in, String what, FileTreeSink sink) throws IOException {
    InputStream tar = Compression.decompress(in, what);
    return new LayerApplier(sink, LayerApplier.Whiteouts.KEEP).apply(tar, what);
  }
}
