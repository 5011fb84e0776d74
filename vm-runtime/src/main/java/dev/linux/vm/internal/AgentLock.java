package dev.linux.vm.internal;

import dev.linux.vm.AgentException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The exclusive lock that serialises agent sessions of one VM: QEMU's socket chardev accepts one
 * connection at a time, so a second client would only wait inside QEMU or break the first.
 */
final class AgentLock implements AutoCloseable {
  private static final long POLL_MILLIS = 50;
  private final FileChannel channel;
  private final FileLock lock;

  private AgentLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static AgentLock acquire(Path file, Duration wait, Consumer<String> notice)
      throws AgentException {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean told = false;
    FileChannel channel;
    try {
      channel = FileChannel.open(
              file,
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (IOException e) {
      throw new AgentException(
          AgentException.Code.UNAVAILABLE, "cannot open agent lock " + file + ": " + e.getMessage(), e);
    }
    try {
      while (true) {
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held by another session in this JVM
        }
        if (lock != null) {
          return new AgentLock(channel, lock);
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new AgentException(
              AgentException.Code.FAILED_PRECONDITION,
              "another session is using this VM's agent (" + file + ")");
        }
        if (!told) {
          notice.accept("waiting for another session to release this VM's agent");
          told = true;
        }
        Thread.sleep(POLL_MILLIS);
      }
    } catch (IOException e) {
      close(channel);
      throw new AgentException(
          AgentException.Code.UNAVAILABLE, "cannot lock " + file + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      close(channel);
      Thread.currentThread().interrupt();
      throw new AgentException(AgentException.Code.UNAVAILABLE, "interrupted waiting for " + file, e);
    } catch (AgentException | RuntimeException e) {
      close(channel);
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it anyway
    }
    close(channel);
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
