package dev.linux.env;

import dev.linux.env.fs.FileTrees;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.linux.env.fs.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The environment records on disk. A record is only ever visible complete: environments are built
 * in a hidden staging directory and renamed into place atomically, records are written to a
 * temporary file and renamed, and removal renames the directory away before deleting it.
 */
public final class EnvironmentStore {

  private static final String STAGING_PREFIX = ".staging-";
  private static final String REMOVING_PREFIX = ".removing-";

  private final LinuxHome home;
  private final ObjectMapper json;

  public EnvironmentStore(LinuxHome home) {
    this.home = home;
    this.json =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);
  }

  public LinuxHome home() {
    return home;
  }

  /** Builds the files of a new environment; runs inside the staging directory. */
  @FunctionalInterface
  public interface Populator {
    /** Writes the environment's files into {@code files} and returns its record. */
    EnvironmentRecord populate(EnvironmentFiles files) throws IOException;
  }

  /** All usable environments, sorted by name. Staging and half-removed directories are skipped. */
  public List<EnvironmentRecord> list() {
    Path dir = home.environments();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<EnvironmentRecord> records = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith(".") || !Files.isRegularFile(entry.resolve("env.json"))) {
          continue;
        }
        read(entry.resolve("env.json")).ifPresent(records::add);
      }
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot list " + dir + ": " + e.getMessage(), e);
    }
    records.sort(Comparator.comparing(EnvironmentRecord::name));
    return records;
  }

  public Optional<EnvironmentRecord> find(EnvName name) {
    return read(home.files(name).record());
  }

  public EnvironmentRecord get(EnvName name) {
    return find(name)
        .orElseThrow(
            () ->
                new EnvException(
                    EnvException.Code.NOT_FOUND,
                    "no environment named '" + name + "' (create it with: linux create " + name + ")"));
  }

  /**
   * Creates an environment: {@code populator} fills a staging directory which becomes the
   * environment only when everything in it is complete. On any failure nothing is left behind.
   * The caller holds the environment's {@link #lock}; so what a killed earlier create or remove of
   * this name left in hidden directories can go first.
   */
  public EnvironmentRecord create(EnvName name, Populator populator) {
    EnvironmentFiles target = home.files(name);
    if (Files.exists(target.dir())) {
      throw alreadyExists(name);
    }
    removeLeftovers(name);
    Path staging = home.environments().resolve(STAGING_PREFIX + name + "-" + UUID.randomUUID());
    try {
      LinuxHome.createPrivate(home.data());
      LinuxHome.createPrivate(home.environments());
      LinuxHome.createPrivate(staging);
      EnvironmentRecord record = populator.populate(new EnvironmentFiles(staging, target.runtime()));
      if (!record.name().equals(name.value())) {
        throw new IllegalStateException("populator returned a record for " + record.name());
      }
      writeRecord(staging.resolve("env.json"), record);
      LinuxHome.makeTreePrivate(staging);
      try {
        Files.move(staging, target.dir(), StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
        throw alreadyExists(name);
      }
      return record;
    } catch (IOException e) {
      throw new EnvException(
          EnvException.Code.IO, "cannot create environment '" + name + "': " + e.getMessage(), e);
    } finally {
      FileTrees.deleteQuietly(staging);
    }
  }

  /** Replaces the record of an existing environment atomically. */
  public void save(EnvironmentRecord record) {
    EnvironmentFiles files = home.files(record.envName());
    if (!Files.isDirectory(files.dir())) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no environment named '" + record.name() + "'");
    }
    try {
      writeRecord(files.record(), record);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot save " + files.record() + ": " + e.getMessage(), e);
    }
  }

  /** Removes an environment's directory: first renamed away (atomic), then deleted. */
  public void remove(EnvName name) {
    EnvironmentFiles files = home.files(name);
    if (!Files.isDirectory(files.dir())) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no environment named '" + name + "'");
    }
    Path doomed = home.environments().resolve(REMOVING_PREFIX + name + "-" + UUID.randomUUID());
    try {
      Files.move(files.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot remove '" + name + "': " + e.getMessage(), e);
    }
    FileTrees.deleteQuietly(doomed);
  }

  /** The environment locks the current thread holds (a file lock cannot tell threads apart). */
  private static final ThreadLocal<java.util.Set<Path>> HELD = ThreadLocal.withInitial(java.util.HashSet::new);

  /**
   * An exclusive lock on one environment's lifecycle (create, start, stop, remove), held across
   * processes. Blocks until it is available.
   */
  public Lock lock(EnvName name) {
    Path lockFile = home.environments().resolve(".locks").resolve(name + ".lock");
    if (HELD.get().contains(lockFile)) {
      // Waiting below would wait for ourselves forever.
      throw new IllegalStateException("the lock of '" + name + "' is already held by this thread");
    }
    try {
      Files.createDirectories(lockFile.getParent());
      FileChannel channel =
          FileChannel.open(
              lockFile,
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      try {
        while (true) {
          try {
            Lock held = new Lock(channel, channel.lock(), lockFile);
            HELD.get().add(lockFile);
            return held;
          } catch (java.nio.channels.OverlappingFileLockException e) {
            // Held by another thread of this process (file locks are per process): wait our turn.
            Thread.sleep(10);
          }
        }
      } catch (InterruptedException e) {
        channel.close();
        Thread.currentThread().interrupt();
        throw new EnvException(EnvException.Code.UNAVAILABLE, "interrupted while waiting for the lock of '" + name + "'", e);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot lock " + lockFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether some process (this one included) holds {@code name}'s lifecycle lock right now; a
   * snapshot for reporting, never for deciding to act.
   */
  public boolean isLocked(EnvName name) {
    Path lockFile = home.environments().resolve(".locks").resolve(name + ".lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A held environment lock. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;
    private final Path file;

    private Lock(FileChannel channel, FileLock lock, Path file) {
      this.channel = channel;
      this.lock = lock;
      this.file = file;
    }

    @Override
    public void close() {
      HELD.get().remove(file);
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Deletes the hidden directories ({@code .staging-NAME-UUID}, {@code .removing-NAME-UUID}) that
   * a create or remove of {@code name} killed half-way left behind. Only exact matches: the
   * leftovers of {@code dev-2} are not those of {@code dev}.
   */
  private void removeLeftovers(EnvName name) {
    Path dir = home.environments();
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String file = entry.getFileName().toString();
        for (String prefix : List.of(STAGING_PREFIX, REMOVING_PREFIX)) {
          String start = prefix + name + "-";
          if (file.startsWith(start) && isUuid(file.substring(start.length()))) {
            FileTrees.deleteQuietly(entry);
          }
        }
      }
    } catch (IOException ignored) {
      // best effort: a leftover is never listed, it only takes space
    }
  }

  private static boolean isUuid(String text) {
    try {
      return UUID.fromString(text).toString().equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private Optional<EnvironmentRecord> read(Path file) {
    try {
      return Optional.of(json.readValue(Files.readAllBytes(file), EnvironmentRecord.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      throw new EnvException(
          EnvException.Code.IO, "environment record " + file + " is unreadable: " + e.getMessage(), e);
    }
  }

  private void writeRecord(Path file, EnvironmentRecord record) throws IOException {
    AtomicFiles.write(file, json.writeValueAsBytes(record));
  }

  private static EnvException alreadyExists(EnvName name) {
    return new EnvException(EnvException.Code.ALREADY_EXISTS, "an environment named '" + name + "' already exists");
  }

}
