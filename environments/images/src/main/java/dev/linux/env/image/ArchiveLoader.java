package dev.linux.env.image;

import dev.linux.env.fs.FileTrees;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Loads image archives into the {@link ImageStore}: {@code oci-archive} (a tar of an OCI image
 * layout, as {@code skopeo copy … oci-archive:} writes it) and {@code docker-archive} (as
 * {@code docker save} writes it: {@code manifest.json} naming a config and layer tarballs; newer
 * docker versions add an OCI layout, which is then preferred). The archive may be compressed.
 *
 * <p>The archive is unpacked into a scratch directory inside the store first; entries must be
 * plain files or directories with relative names that stay inside it. Every blob copied into the
 * store is digested on the way and must match what the archive's documents say.
 */
public final class ArchiveLoader {

  /** One image taken from an archive. */
  public record Loaded(Descriptor manifest, List<String> tags) {}

  private ArchiveLoader() {}

  /**
   * Loads every image of the archive, or only the one tagged {@code tag} when it is not null.
   *
   * @throws ImageException if the archive is unsafe, truncated, malformed, or holds no image
   */
  public static List<Loaded> load(Path archive, ImageStore store, String tag) throws IOException {
    Path scratch = Files.createTempDirectory(store.directory().resolve("ingest"), "load-");
    try (StoreLock.Held use = store.use()) {
      unpack(archive, scratch);
      List<Loaded> loaded;
      if (Files.isRegularFile(scratch.resolve("oci-layout"))) {
        loaded = fromLayout(scratch, store, tag, archive);
      } else if (Files.isRegularFile(scratch.resolve("manifest.json"))) {
        loaded = fromDockerSave(scratch, store, tag, archive);
      } else {
        throw new ImageException(archive + " is neither an OCI archive (no oci-layout) nor a docker archive (no manifest.json)");
      }
      if (loaded.isEmpty()) {
        throw new ImageException(archive + " holds no image" + (tag == null ? "" : " tagged '" + tag + "'"));
      }
      return loaded;
    } finally {
      FileTrees.delete(scratch);
    }
  }

  private static void unpack(Path archive, Path into) throws IOException {
    String what = "archive " + archive.getFileName();
    InputStream raw;
    try {
      raw = Files.newInputStream(archive);
    } catch (NoSuchFileException e) {
      throw new ImageException("no such file: " + archive);
    }
    try (InputStream in = Compression.decompress(raw, what);
        TrailingZeros counted = new TrailingZeros(in);
        TarArchiveInputStream tar = new TarArchiveInputStream(counted)) {
      TarArchiveEntry entry;
      int count = 0;
      while ((entry = nextEntry(tar, what)) != null) {
        count++;
        String name = entry.getName();
        Path target = safeTarget(into, name, what);
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isFile()) {
          Files.createDirectories(target.getParent());
          try {
            long copied = Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (copied != entry.getSize()) {
              throw new ImageException(what + " is truncated (entry '" + name + "')");
            }
          } catch (java.io.EOFException e) {
            throw new ImageException(what + " is truncated (entry '" + name + "')");
          }
        } else if (!entry.isSymbolicLink() && !entry.isLink()) {
          throw new ImageException(what + ": entry '" + name + "' is not a file or directory");
        } else {
          throw new ImageException(what + ": entry '" + name + "' is a link; image archives hold only files");
        }
      }
      if (count == 0) {
        throw new ImageException(what + " is empty or not a tar archive");
      }
      counted.transferTo(java.io.OutputStream.nullOutputStream());
      if (counted.trailingZeros < 1024) {
        throw new ImageException(what + " is truncated: it ends without the end-of-archive marker");
      }
    } catch (ImageException e) {
      throw e;
    } catch (IOException e) {
      throw new ImageException(what + " is truncated or corrupt: " + e.getMessage(), e);
    }
  }

  /** Counts the zero bytes at the end of what was read: a whole tar ends with at least two zero records. */
  private static final class TrailingZeros extends java.io.FilterInputStream {
    long trailingZeros;

    TrailingZeros(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        trailingZeros = b == 0 ? trailingZeros + 1 : 0;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      for (int i = off; i < off + n; i++) {
        trailingZeros = b[i] == 0 ? trailingZeros + 1 : 0;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return SkipByReading.skip(this, n);
    }
  }

  private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, String what) {
    try {
      return tar.getNextEntry();
    } catch (IOException e) {
      throw new ImageException(what + " is truncated or corrupt: " + e.getMessage(), e);
    }
  }

  /** Resolves an entry name inside {@code root}, refusing absolute names and {@code ..} escapes. */
  static Path safeTarget(Path root, String name, String what) {
    if (name.startsWith("/")) {
      throw new ImageException(what + ": entry '" + name + "' has an absolute path");
    }
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        throw new ImageException(what + ": entry '" + name + "' escapes the archive with '..'");
      }
    }
    Path target = root.resolve(name).normalize();
    if (!target.startsWith(root)) {
      throw new ImageException(what + ": entry '" + name + "' escapes the archive");
    }
    return target;
  }

  private static List<Loaded> fromLayout(Path dir, ImageStore store, String tag, Path archive) throws IOException {
    OciLayout layout = OciLayout.open(dir);
    List<Loaded> out = new ArrayList<>();
    for (Descriptor entry : layout.manifests()) {
      String refName = entry.refName();
      if (tag != null && !tag.equals(refName)) {
        continue;
      }
      for (Digest digest : store.reachable(List.of(entry), layout)) {
        copyBlob(layout, digest, store);
      }
      Set<String> tags = new LinkedHashSet<>();
      String full = entry.annotations().get("io.containerd.image.name");
      if (full != null) {
        tags.add(familiar(full, archive));
      } else if (refName != null) {
        tags.add(refName.contains(":") || refName.contains("/") ? familiar(refName, archive) : refName);
      }
      for (String t : tags) {
        store.tag(new Descriptor(entry.mediaType(), entry.digest(), entry.size()), t, entry.platform());
      }
      out.add(new Loaded(new Descriptor(entry.mediaType(), entry.digest(), entry.size(), entry.platform(), null),
          List.copyOf(tags)));
    }
    return out;
  }

  private static void copyBlob(OciLayout from, Digest digest, ImageStore store) throws IOException {
    if (store.hasBlob(digest)) {
      return;
    }
    if (!from.hasBlob(digest)) {
      throw new ImageException("blob " + digest + " is missing from the archive");
    }
    Descriptor stored;
    try (InputStream in = Files.newInputStream(from.blobPath(digest))) {
      stored = store.writer().addBlob("application/octet-stream", in);
    }
    if (!stored.digest().equals(digest)) {
      Files.deleteIfExists(store.blobPath(stored.digest()));
      throw new ImageException("blob " + digest + " in the archive is corrupt: its content has digest " + stored.digest());
    }
  }

  private static List<Loaded> fromDockerSave(Path dir, ImageStore store, String tag, Path archive) throws IOException {
    String what = "manifest.json of " + archive.getFileName();
    JsonNode manifests;
    try {
      manifests = OciLayout.JSON.readTree(dir.resolve("manifest.json").toFile());
    } catch (IOException e) {
      throw new ImageException(what + " is malformed JSON");
    }
    if (manifests == null || !manifests.isArray()) {
      throw new ImageException(what + " is malformed: expected an array");
    }
    OciLayoutWriter writer = store.writer();
    List<Loaded> out = new ArrayList<>();
    for (JsonNode image : manifests) {
      if (!image.path("Config").isTextual() || !image.path("Layers").isArray()) {
        throw new ImageException(what + " is malformed: an entry needs Config and Layers");
      }
      Set<String> tags = new LinkedHashSet<>();
      for (JsonNode repoTag : image.path("RepoTags")) {
        tags.add(familiar(repoTag.asText(), archive));
      }
      if (tag != null && !tags.contains(tag)) {
        continue;
      }
      Descriptor config = addFile(writer, dir, image.path("Config").asText(), MediaTypes.OCI_CONFIG, what);
      List<Descriptor> layers = new ArrayList<>();
      for (JsonNode layer : image.path("Layers")) {
        Path file = safeTarget(dir, layer.asText(), what);
        String mediaType = switch (detect(file, what)) {
          case GZIP -> MediaTypes.OCI_LAYER_TAR_GZIP;
          case ZSTD -> MediaTypes.OCI_LAYER_TAR_ZSTD;
          case NONE -> MediaTypes.OCI_LAYER_TAR;
          default -> throw new ImageException(what + ": layer " + layer.asText() + " has an unsupported compression");
        };
        layers.add(addFile(writer, dir, layer.asText(), mediaType, what));
      }
      Descriptor manifest = writer.writeManifest(config, layers);
      Platform platform = platformOf(store.blobPath(config.digest()));
      for (String t : tags) {
        store.tag(manifest, t, platform);
      }
      out.add(new Loaded(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(), platform, null),
          List.copyOf(tags)));
    }
    return out;
  }

  private static Compression detect(Path file, String what) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(6);
      return Compression.detect(head, head.length);
    } catch (NoSuchFileException e) {
      throw new ImageException(what + " names a layer that is not in the archive: " + file.getFileName());
    }
  }

  private static Descriptor addFile(OciLayoutWriter writer, Path dir, String name, String mediaType, String what)
      throws IOException {
    Path file = safeTarget(dir, name, what);
    try (InputStream in = Files.newInputStream(file)) {
      return writer.addBlob(mediaType, in);
    } catch (NoSuchFileException e) {
      throw new ImageException(what + " names a file that is not in the archive: " + name);
    }
  }

  private static Platform platformOf(Path config) {
    try {
      JsonNode json = OciLayout.JSON.readTree(config.toFile());
      String os = json.path("os").asText("");
      String arch = json.path("architecture").asText("");
      return os.isEmpty() || arch.isEmpty() ? null : new Platform(os, arch, json.path("variant").asText(null));
    } catch (IOException e) {
      throw new ImageException("image config " + config.getFileName() + " is malformed JSON");
    }
  }

  private static String familiar(String name, Path archive) {
    try {
      return ImageRef.parse(name).familiarName();
    } catch (IllegalArgumentException e) {
      throw new ImageException("archive " + archive.getFileName() + " names an image '" + name + "' that is not a valid reference");
    }
  }
}
