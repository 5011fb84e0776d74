package dev.linux.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The process's standard output, remembering whether its reader went away ({@code linux run dev --
 * cat big | head}): then {@code run} ends as a local command would, quietly with 141 (128 +
 * SIGPIPE), instead of reporting "Broken pipe".
 */
final class StandardOutput extends FilterOutputStream {

  /** The status of a command whose output pipe was closed by its reader. */
  static final int READER_GONE = 128 + 13;

  private volatile boolean readerGone;

  StandardOutput(OutputStream out) {
    super(out);
  }

  static StandardOutput open() {
    return new StandardOutput(new FileOutputStream(FileDescriptor.out));
  }

  boolean readerGone() {
    return readerGone;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      readerGone = true;
      throw e;
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      readerGone = true;
      throw e;
    }
  }
}
