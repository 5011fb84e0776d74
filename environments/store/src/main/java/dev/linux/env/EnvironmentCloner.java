package dev.linux.env;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Copies a stopped environment into a new one. The copy is built in the store's staging directory
 * and appears only when complete, like {@code create}: a failed or interrupted clone leaves nothing.
 */
final class EnvironmentCloner {

  /** Copies a disk file, keeping it sparse. */
  @FunctionalInterface
  interface DiskCopy {
    void copy(Path from, Path to) throws IOException;
  }

  /**
   * GNU cp: a reflink where the filesystem can share blocks (btrfs, XFS), else a copy that skips
   * the holes of the sparse source and punches holes for zero blocks.
   */
  static final DiskCopy CP = (from, to) -> {
    Process process = new ProcessBuilder(List.of("cp", "--reflink=auto", "--sparse=always", from.toString(), to.toString()))
        .redirectErrorStream(true)
        .start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      if (!process.waitFor(1, TimeUnit.HOURS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IOException("cp failed: " + out);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while copying the disk");
    }
  };

  private final EnvironmentStore store;
  private final DiskCopy diskCopy;

  EnvironmentCloner(EnvironmentStore store, DiskCopy diskCopy) {
    this.store = store;
    this.diskCopy = diskCopy;
  }

  EnvironmentRecord cloneEnvironment(EnvName source, EnvName target) {
    if (source.equals(target)) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "cannot clone '" + source + "' onto itself");
    }
    LinuxHome home = store.home();
    try (EnvironmentStore.Lock first = store.lock(EnvironmentRenamer.Locks.first(source, target));
        EnvironmentStore.Lock second = store.lock(EnvironmentRenamer.Locks.second(source, target))) {
      EnvironmentRecord original = store.usable(source);
      if (store.find(target).isPresent()) {
        throw store.alreadyExists(target);
      }
      EnvironmentFiles from = home.files(source);
      EnvironmentRenamer.Locks.requireStopped(from, source, "clone");
      return store.create(target, files -> {
        diskCopy.copy(from.disk(), files.disk());
        // A new environment: it has not booted as itself yet.
        return original.withName(target).withCreated(Instant.now())
            .withState(EnvironmentState.CREATED, null).withLastStarted(null).withAddress(null);
      });
    }
  }
}
