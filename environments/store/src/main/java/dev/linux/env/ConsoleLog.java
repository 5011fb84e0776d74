package dev.linux.env;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * An environment's console log: what its kernel and init printed. QEMU starts it afresh on every
 * boot, so a follower that finds the file shorter than what it has read starts over.
 */
public final class ConsoleLog {

  private static final Duration POLL = Duration.ofMillis(200);

  private final Path file;

  ConsoleLog(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Writes the log as it is now; returns how many bytes that was. */
  public long copyTo(OutputStream out) throws IOException {
    return copyFrom(0, out);
  }

  /** Writes the log, then what is appended to it, until the thread is interrupted. */
  public void follow(OutputStream out) throws IOException {
    long position = copyTo(out);
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("stopped following " + file);
      }
      long size = Files.exists(file) ? Files.size(file) : 0;
      if (size < position) {
        position = 0; // a new boot started the log again
      }
      if (size > position) {
        position += copyFrom(position, out);
      }
    }
  }

  private long copyFrom(long position, OutputStream out) throws IOException {
    long copied = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      ch.position(position);
      int n;
      while ((n = ch.read(buffer)) > 0) {
        out.write(buffer.array(), 0, n);
        buffer.clear();
        copied += n;
      }
      out.flush();
    } catch (NoSuchFileException e) {
      return 0; // never booted
    }
    return copied;
  }
}
