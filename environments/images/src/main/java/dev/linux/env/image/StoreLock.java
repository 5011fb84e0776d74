package dev.linux.env.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A lock over a lock file that works both between processes ({@link FileLock}) and between
 * threads of this JVM (which {@code FileLock} does not cover: the JVM holds file locks for the
 * whole process). Shared holders lock distinct one-byte regions, so any number of them in one
 * JVM never overlap each other; an exclusive holder locks the whole file range, so it excludes
 * shared holders of every process.
 */
public final class StoreLock {

  private static final Map<Path, ReentrantReadWriteLock> IN_JVM = new ConcurrentHashMap<>();
  private static final AtomicLong REGION = new AtomicLong();

  private StoreLock() {}

  /** A held lock; closing releases it. */
  public interface Held extends AutoCloseable {
    @Override
    void close();
  }

  static Held exclusive(Path lockFile) {
    return acquire(lockFile, false);
  }

  static Held shared(Path lockFile) {
    return acquire(lockFile, true);
  }

  private static Held acquire(Path lockFile, boolean shared) {
    ReentrantReadWriteLock rw = IN_JVM.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantReadWriteLock());
    Lock jvm = shared ? rw.readLock() : rw.writeLock();
    jvm.lock();
    FileChannel channel = null;
    try {
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock fileLock = shared
          ? channel.lock(1 + (REGION.getAndIncrement() & 0x3fff_ffffL), 1, true)
          : channel.lock(0, Long.MAX_VALUE, false);
      FileChannel opened = channel;
      return () -> {
        try {
          fileLock.release();
          opened.close();
        } catch (IOException e) {
          // closing the channel releases the lock anyway
        } finally {
          jvm.unlock();
        }
      };
    } catch (IOException | RuntimeException e) {
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException ignored) {
        // already failing
      }
      jvm.unlock();
      throw new ImageException("cannot lock " + lockFile + ": " + e.getMessage(), e);
    }
  }
}
