package dev.linux.env.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The local content store: one OCI image layout (the data directory's {@code images/}) whose
 * {@code index.json} names images by their familiar reference ({@code debian:bookworm}).
 *
 * <p>Concurrency, between threads and processes alike: {@code index.json} changes under an
 * exclusive lock; each blob is fetched under its own lock, so concurrent pulls of one image
 * download every blob once and share it; pulls hold the store shared while they add blobs and
 * tag, and {@link #prune()} holds it exclusively, so it never deletes a blob a pull is about to
 * reference. Blobs land verified, by rename, from {@code ingest/}.
 */
public final class ImageStore {

  private static final Duration STALE_TEMP = Duration.ofHours(24);

  private final Path dir;

  private ImageStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating if needed) the store in {@code dir}. */
  public static ImageStore open(Path dir) {
    try {
      OciLayoutWriter.open(dir);
      Files.createDirectories(dir.resolve("ingest"));
      return new ImageStore(dir);
    } catch (IOException e) {
      throw new ImageException("cannot create the image store in " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path directory() {
    return dir;
  }

  /** The layout as it is now. */
  public OciLayout layout() {
    return OciLayout.open(dir);
  }

  /** A writer for blobs (callers hold {@link #use()}) and, under {@link #lockIndex()}, tags. */
  public OciLayoutWriter writer() throws IOException {
    return OciLayoutWriter.open(dir);
  }

  /** Held while adding blobs that are not yet tagged; keeps {@link #prune()} away. */
  public StoreLock.Held use() {
    return StoreLock.shared(dir.resolve(".gc.lock"));
  }

  /** Held while {@code index.json} is read, changed and replaced. */
  public StoreLock.Held lockIndex() {
    return StoreLock.exclusive(dir.resolve(".index.lock"));
  }

  public Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  public boolean hasBlob(Digest digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  /** Fills a partial file with a blob's verified content (it may already hold a prefix). */
  @FunctionalInterface
  public interface BlobFetcher {
    void fetch(Path partial) throws IOException;
  }

  /**
   * Makes sure the blob is in the store, fetching it unless it is there. Concurrent callers for
   * one digest (threads or processes) wait for each other: one fetches, the others find it.
   * The fetcher must verify the content; this method checks only that the file is complete.
   *
   * @return true if this call fetched the blob
   */
  public boolean ensureBlob(Descriptor blob, BlobFetcher fetcher) throws IOException {
    Path target = blobPath(blob.digest());
    if (Files.isRegularFile(target) && Files.size(target) == blob.size()) {
      return false;
    }
    Path ingest = dir.resolve("ingest");
    Files.createDirectories(ingest);
    try (StoreLock.Held lock = StoreLock.exclusive(ingest.resolve(blob.digest().hex() + ".lock"))) {
      if (Files.isRegularFile(target) && Files.size(target) == blob.size()) {
        return false;
      }
      Path partial = ingest.resolve(blob.digest().hex() + ".partial");
      fetcher.fetch(partial);
      if (!Files.isRegularFile(partial) || Files.size(partial) != blob.size()) {
        Files.deleteIfExists(partial);
        throw new ImageException("blob " + blob.digest() + " is incomplete after download");
      }
      move(partial, target);
      return true;
    }
  }

  /** Points {@code tag} at {@code manifest}, replacing what it named before. */
  public void tag(Descriptor manifest, String tag, Platform platform) throws IOException {
    try (StoreLock.Held lock = lockIndex()) {
      writer().tag(manifest, tag, platform);
    }
  }

  /** Removes a tag; false if there was none. Blobs stay until {@link #prune()}. */
  public boolean untag(String tag) throws IOException {
    try (StoreLock.Held lock = lockIndex()) {
      return writer().untag(tag);
    }
  }

  /** The manifest tagged {@code tag}, if any. */
  public Optional<Descriptor> find(String tag) {
    Descriptor found = null;
    for (Descriptor d : layout().manifests()) {
      if (tag.equals(d.refName())) {
        found = d;
      }
    }
    return Optional.ofNullable(found);
  }

  /** One tagged image. */
  public record Entry(String tag, Descriptor manifest, long size) {}

  /** Every tagged image, with the bytes its blobs take (blobs shared between images count for each). */
  public List<Entry> list() {
    List<Entry> out = new ArrayList<>();
    for (Descriptor d : layout().manifests()) {
      if (d.refName() == null) {
        continue;
      }
      long size = 0;
      for (Digest digest : reachable(List.of(d))) {
        try {
          size += Files.size(blobPath(digest));
        } catch (IOException e) {
          // a missing blob adds nothing
        }
      }
      out.add(new Entry(d.refName(), d, size));
    }
    return out;
  }

  /** What {@link #prune()} removed. */
  public record PruneResult(int blobs, long bytes) {}

  /**
   * Deletes blobs no tag reaches, and temp and partial files left by interrupted writers more than
   * a day ago. Waits for pulls in progress to finish.
   */
  public PruneResult prune() throws IOException {
    try (StoreLock.Held gc = StoreLock.exclusive(dir.resolve(".gc.lock"));
        StoreLock.Held index = lockIndex()) {
      Set<Digest> keep = reachable(layout().manifests());
      int count = 0;
      long bytes = 0;
      Instant staleBefore = Instant.now().minus(STALE_TEMP);
      for (Path folder : List.of(dir.resolve("blobs").resolve("sha256"), dir.resolve("blobs"), dir.resolve("ingest"))) {
        if (!Files.isDirectory(folder)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
          for (Path file : files) {
            if (!Files.isRegularFile(file)) {
              continue;
            }
            String name = file.getFileName().toString();
            boolean blob = folder.endsWith("sha256") && !name.startsWith(".");
            boolean delete = blob
                ? !keep.contains(parseOrNull(name))
                : !name.endsWith(".lock") && Files.getLastModifiedTime(file).toInstant().isBefore(staleBefore);
            if (delete) {
              long size = Files.size(file);
              Files.deleteIfExists(file);
              if (blob) {
                count++;
                bytes += size;
              }
            }
          }
        }
      }
      return new PruneResult(count, bytes);
    }
  }

  private static Digest parseOrNull(String hex) {
    try {
      return new Digest(hex);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Every blob reachable from the descriptors: indexes, manifests, configs, layers. */
  Set<Digest> reachable(List<Descriptor> roots) {
    return reachable(roots, null);
  }

  /** Like {@link #reachable(List)}, reading documents from {@code source} (null: this store). */
  Set<Digest> reachable(List<Descriptor> roots, OciLayout source) {
    Set<Digest> seen = new HashSet<>();
    Deque<Descriptor> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      Descriptor d = todo.pop();
      if (!seen.add(d.digest())) {
        continue;
      }
      boolean index = MediaTypes.INDEXES.contains(d.mediaType());
      boolean manifest = MediaTypes.MANIFESTS.contains(d.mediaType());
      Path file = source == null ? blobPath(d.digest()) : source.blobPath(d.digest());
      if (!index && !manifest || !Files.isRegularFile(file)) {
        continue;
      }
      JsonNode json;
      try {
        json = OciLayout.JSON.readTree(file.toFile());
      } catch (IOException e) {
        continue; // unreadable: keep what we know, never guess
      }
      String where = "blob " + d.digest();
      try {
        if (index) {
          for (JsonNode child : json.path("manifests")) {
            todo.push(OciLayout.descriptor(child, where));
          }
        } else {
          if (json.has("config")) {
            todo.push(OciLayout.descriptor(json.path("config"), where));
          }
          for (JsonNode layer : json.path("layers")) {
            todo.push(OciLayout.descriptor(layer, where));
          }
        }
      } catch (ImageException e) {
        // a malformed document references nothing we can name
      }
    }
    return seen;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
