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

  /**
   * All environments, sorted by name. Staging and half-removed directories are skipped; one whose
   * record or disk is damaged is listed as {@code broken} with the reason and how to recover (see
   * {@link #usable}), so one bad directory never hides the others.
   */
  public List<EnvironmentRecord> list() {
    Path dir = home.environments();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<EnvironmentRecord> records = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith(".") || !Files.isDirectory(entry) || !EnvName.isValid(name)) {
          continue;
        }
        read(EnvName.of(name)).ifPresent(stored -> records.add(stored.record()));
      }
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot list " + dir + ": " + e.getMessage(), e);
    }
    records.sort(Comparator.comparing(EnvironmentRecord::name));
    return records;
  }

  /** The environment's record; a damaged one reads as {@code broken} with the reason (never throws). */
  public Optional<EnvironmentRecord> find(EnvName name) {
    return read(name).map(Stored::record);
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
   * The record of an environment that can be booted, changed or copied: one whose record or disk is
   * damaged is refused with the reason and how to recover. Listing, inspecting and removing it work.
   */
  public EnvironmentRecord usable(EnvName name) {
    Stored stored = read(name).orElseThrow(() -> new EnvException(EnvException.Code.NOT_FOUND,
        "no environment named '" + name + "' (create it with: linux create " + name + ")"));
    if (stored.damage() != null) {
      throw new EnvException(EnvException.Code.FAILED_PRECONDITION, name + " is broken: " + stored.record().stateReason());
    }
    return stored.record();
  }

  /** "already exists", with why it is broken and how to remove it when it is damaged. */
  public EnvException alreadyExists(EnvName name) {
    Optional<Stored> stored = read(name);
    String detail = stored.isPresent() && stored.get().damage() != null ? " (it is broken: " + stored.get().record().stateReason() + ")" : "";
    return new EnvException(EnvException.Code.ALREADY_EXISTS, "an environment named '" + name + "' already exists" + detail);
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
            FileLock fileLock = channel.lock();
            if (!isFileAt(channel, lockFile)) {
              // The holder removed the lock file (see Lock.close) while this waited: lock the new one.
              fileLock.release();
              channel.close();
              channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
              continue;
            }
            Lock held = new Lock(channel, fileLock, lockFile, home.files(name).dir());
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

  /**
   * Whether the locked {@code channel} is still the file at {@code path}: a token written through
   * it (under the lock, so no one else writes) must read back through the path.
   */
  private static boolean isFileAt(FileChannel channel, Path path) throws IOException {
    byte[] token = UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    channel.truncate(0);
    channel.write(java.nio.ByteBuffer.wrap(token), 0);
    try {
      return java.util.Arrays.equals(token, Files.readAllBytes(path));
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * A held environment lock. Released with no environment of its name (never created, or just
   * removed), its file is deleted first, so {@code .locks/} does not keep one for every name ever
   * tried; a waiter that then gets the deleted file notices (its identity changed) and locks anew.
   */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;
    private final Path file;
    private final Path environment;

    private Lock(FileChannel channel, FileLock lock, Path file, Path environment) {
      this.channel = channel;
      this.lock = lock;
      this.file = file;
      this.environment = environment;
    }

    @Override
    public void close() {
      HELD.get().remove(file);
      if (!Files.exists(environment)) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // kept: a stale lock file only takes a directory entry
        }
      }
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

  /** A record as read; {@code damage} says what is wrong with the record or the disk, else null. */
  private record Stored(EnvironmentRecord record, String damage) {}

  /** The record format this code writes and reads; a newer one is refused, never half-understood. */
  static final int SCHEMA_VERSION = 1;

  private Optional<Stored> read(EnvName name) {
    EnvironmentFiles files = home.files(name);
    if (!Files.isDirectory(files.dir())) {
      return Optional.empty();
    }
    EnvironmentRecord record;
    try {
      record = parse(name, Files.readAllBytes(files.record()));
    } catch (NoSuchFileException e) {
      return Optional.of(damaged(name, null, "its record env.json is missing"));
    } catch (RecordDamage e) {
      return Optional.of(damaged(name, null, e.getMessage()));
    } catch (IOException e) {
      return Optional.of(damaged(name, null, "its record env.json cannot be read: " + e.getMessage()));
    }
    String diskProblem = diskProblem(files.disk());
    return Optional.of(diskProblem == null ? new Stored(record, null) : damaged(name, record, diskProblem));
  }

  private static Stored damaged(EnvName name, EnvironmentRecord record, String problem) {
    String reason = problem + "; remove it with: linux rm " + name;
    EnvironmentRecord shown = record != null ? record : EnvironmentRecord.unreadable(name);
    return new Stored(shown.withState(EnvironmentState.BROKEN, reason), problem);
  }

  /** Why the record cannot be used, in one line. */
  private static final class RecordDamage extends Exception {
    RecordDamage(String message) {
      super(message, null, false, false);
    }
  }

  private EnvironmentRecord parse(EnvName name, byte[] bytes) throws RecordDamage {
    com.fasterxml.jackson.databind.JsonNode tree;
    try {
      tree = json.readTree(bytes);
    } catch (IOException e) {
      throw new RecordDamage("its record env.json is not valid JSON" + location(e));
    }
    if (tree == null || !tree.isObject()) {
      throw new RecordDamage("its record env.json holds no JSON object");
    }
    com.fasterxml.jackson.databind.JsonNode version = tree.get("schemaVersion");
    if (version != null && (!version.canConvertToInt() || version.asInt() != SCHEMA_VERSION)) {
      throw new RecordDamage("its record env.json has schema version " + version
          + ", which this linux does not read (it reads " + SCHEMA_VERSION + ")");
    }
    EnvironmentRecord record;
    try {
      record = json.treeToValue(tree, EnvironmentRecord.class);
    } catch (IOException | RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof EnvException)) {
        cause = cause.getCause();
      }
      String why = cause instanceof EnvException || cause instanceof IllegalArgumentException ? cause.getMessage()
          : e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new RecordDamage("its record env.json is damaged: " + firstLine(why));
    }
    if (!record.name().equals(name.value())) {
      throw new RecordDamage("its record env.json names '" + record.name() + "', not '" + name + "'");
    }
    return record;
  }

  private static String location(IOException e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
      return " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")";
    }
    return "";
  }

  private static String firstLine(String text) {
    if (text == null || text.isBlank()) {
      return "unreadable";
    }
    String line = text.strip().lines().findFirst().orElse(text);
    return line.length() > 160 ? line.substring(0, 160) + "..." : line;
  }

  /** What is wrong with the disk image (missing, not EXT4), or null: only its superblock magic is read. */
  static String diskProblem(Path disk) {
    try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.READ)) {
      java.nio.ByteBuffer magic = java.nio.ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      while (magic.hasRemaining() && channel.read(magic, 1024 + 56 + magic.position()) > 0) {
        // read both bytes of s_magic
      }
      return magic.hasRemaining() || magic.getShort(0) != (short) 0xEF53 ? "its disk " + disk.getFileName() + " is not an EXT4 image" : null;
    } catch (NoSuchFileException e) {
      return "its disk " + disk.getFileName() + " is missing";
    } catch (IOException e) {
      return "its disk " + disk.getFileName() + " cannot be read: " + e.getMessage();
    }
  }

  private void writeRecord(Path file, EnvironmentRecord record) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode tree = json.valueToTree(record);
    tree.put("schemaVersion", SCHEMA_VERSION);
    AtomicFiles.write(file, json.writeValueAsBytes(tree));
  }

}
