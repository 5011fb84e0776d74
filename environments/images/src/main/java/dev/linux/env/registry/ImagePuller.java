package dev.linux.env.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.Digest;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.ImageStore;
import dev.linux.env.image.MediaTypes;
import dev.linux.env.image.Platform;
import dev.linux.env.image.StoreLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Pulls one image from a registry into the {@link ImageStore}: resolves the reference to a
 * manifest (through an index, for the wanted platform), downloads the config and layers
 * concurrently, each verified against its digest before it is committed, then stores the
 * manifest and tags it with the reference's familiar name. Until that tag is written the image
 * does not exist; a failure leaves no image behind (downloaded blobs stay for
 * {@link ImageStore#prune()} or the next attempt).
 */
public final class ImagePuller {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Hears a pull's progress; calls may come from several download threads. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** The manifest was found; {@code blobs} are the config and layers to fetch. */
    default void resolved(String reference, Digest manifest, Platform platform, List<Descriptor> blobs) {}

    default void blobProgress(Descriptor blob, long bytes) {}

    /** @param downloaded false when the store already had the blob */
    default void blobDone(Descriptor blob, boolean downloaded) {}
  }

  /** What a pull stored. */
  public record Result(String tag, Descriptor manifest, Platform platform, int downloaded, int present) {}

  private final RegistryClient client;
  private final ImageStore store;
  private final int concurrency;

  public ImagePuller(RegistryClient client, ImageStore store, int concurrency) {
    this.client = client;
    this.store = store;
    this.concurrency = Math.max(1, concurrency);
  }

  public Result pull(ImageRef ref, Platform platform, Listener listener) throws IOException {
    if (ref.isLocal()) {
      throw new IllegalArgumentException("cannot pull " + ref + ": not a registry reference");
    }
    String reference = ref.digest() != null ? ref.digest().toString() : ref.tag();
    RegistryClient.Manifest top = client.manifest(ref, reference);
    JsonNode topJson = parse(top, ref);
    String topType = mediaType(top, topJson, ref);
    RegistryClient.Manifest manifest = top;
    JsonNode manifestJson = topJson;
    String manifestType = topType;
    Platform chosen = null;
    if (topType.equals(MediaTypes.OCI_INDEX) || topType.equals(MediaTypes.DOCKER_MANIFEST_LIST)) {
      Descriptor entry = select(topJson, platform, ref);
      chosen = entry.platform();
      manifest = client.manifest(ref, entry.digest().toString());
      manifestJson = parse(manifest, ref);
      manifestType = mediaType(manifest, manifestJson, ref);
      if (!manifestType.equals(MediaTypes.OCI_MANIFEST) && !manifestType.equals(MediaTypes.DOCKER_MANIFEST)) {
        throw new ImageException("image " + ref.familiarName() + ": index entry for " + chosen
            + " is not an image manifest ('" + manifestType + "')");
      }
    } else if (!topType.equals(MediaTypes.OCI_MANIFEST) && !topType.equals(MediaTypes.DOCKER_MANIFEST)) {
      throw new ImageException("image " + ref.familiarName() + ": unsupported manifest media type '" + topType + "'");
    }
    String where = "manifest " + manifest.digest() + " of " + ref.familiarName();
    if (!manifestJson.path("config").isObject() || !manifestJson.path("layers").isArray()) {
      throw new ImageException(where + " is malformed: it needs 'config' and 'layers'");
    }
    List<Descriptor> blobs = new ArrayList<>();
    blobs.add(descriptor(manifestJson.path("config"), where));
    for (JsonNode layer : manifestJson.path("layers")) {
      Descriptor d = descriptor(layer, where);
      try {
        MediaTypes.layerCompression(d.mediaType());
      } catch (ImageException e) {
        throw new ImageException("layer " + d.digest() + " of " + ref.familiarName() + ": " + e.getMessage());
      }
      blobs.add(d);
    }
    listener.resolved(ref.familiarName(), manifest.digest(), chosen, blobs);

    try (StoreLock.Held use = store.use()) {
      int downloaded = fetchAll(ref, blobs, listener);
      Descriptor stored = store.writer().addBlob(manifestType, manifest.content());
      if (!stored.digest().equals(manifest.digest())) {
        throw new IllegalStateException("manifest digest changed while storing it");
      }
      if (chosen == null) {
        chosen = configPlatform(blobs.getFirst());
      }
      store.tag(stored, ref.familiarName(), chosen);
      return new Result(ref.familiarName(), stored, chosen, downloaded, blobs.size() - downloaded);
    }
  }

  private int fetchAll(ImageRef ref, List<Descriptor> blobs, Listener listener) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(concurrency, blobs.size()), r -> {
      Thread t = new Thread(r, "blob-download");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Boolean>> futures = new ArrayList<>();
      for (Descriptor blob : blobs) {
        futures.add(pool.submit(() -> {
          boolean fetched = store.ensureBlob(blob,
              partial -> client.downloadBlob(ref, blob, partial, bytes -> listener.blobProgress(blob, bytes)));
          listener.blobDone(blob, fetched);
          return fetched;
        }));
      }
      int downloaded = 0;
      for (Future<Boolean> f : futures) {
        try {
          downloaded += f.get() ? 1 : 0;
        } catch (ExecutionException e) {
          futures.forEach(other -> other.cancel(true));
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof IOException io) {
            throw io;
          }
          throw new ImageException("download failed: " + cause, cause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ImageException("interrupted while downloading " + ref.familiarName(), e);
        }
      }
      return downloaded;
    } finally {
      pool.shutdownNow();
    }
  }

  private Platform configPlatform(Descriptor config) {
    try {
      JsonNode json = JSON.readTree(store.blobPath(config.digest()).toFile());
      String os = json.path("os").asText("");
      String arch = json.path("architecture").asText("");
      return os.isEmpty() || arch.isEmpty() ? null : new Platform(os, arch, json.path("variant").asText(null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Picks the index entry for {@code wanted}: an exact variant match first, then any accepted one. */
  static Descriptor select(JsonNode index, Platform wanted, ImageRef ref) {
    String where = "index of " + ref.familiarName();
    if (!index.path("manifests").isArray()) {
      throw new ImageException(where + " is malformed: 'manifests' is not an array");
    }
    List<Descriptor> entries = new ArrayList<>();
    for (JsonNode entry : index.path("manifests")) {
      entries.add(descriptor(entry, where));
    }
    Descriptor accepted = null;
    for (Descriptor d : entries) {
      if (d.platform() == null || !wanted.accepts(d.platform())) {
        continue;
      }
      if (wanted.variant() != null && wanted.variant().equals(d.platform().variant())) {
        return d;
      }
      if (accepted == null) {
        accepted = d;
      }
    }
    if (accepted == null) {
      String offered = entries.stream().map(d -> d.platform() == null ? "unknown" : d.platform().toString())
          .filter(p -> !p.startsWith("unknown/")).collect(Collectors.joining(", "));
      throw new ImageException("image " + ref.familiarName() + " has no manifest for " + wanted
          + " (it has: " + offered + ")");
    }
    return accepted;
  }

  private static JsonNode parse(RegistryClient.Manifest manifest, ImageRef ref) {
    String what = "manifest " + manifest.digest().shortForm() + " of " + ref.familiarName();
    try {
      JsonNode node = JSON.readTree(manifest.content());
      if (node == null || !node.isObject()) {
        throw new ImageException(what + " is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new ImageException(what + " is not valid JSON");
    }
  }

  /** The media type a manifest declares, else the one the registry served it as. */
  private static String mediaType(RegistryClient.Manifest manifest, JsonNode json, ImageRef ref) {
    String declared = json.path("mediaType").asText("");
    if (!declared.isEmpty()) {
      return declared;
    }
    if (!manifest.mediaType().isEmpty() && !manifest.mediaType().equals("application/json")) {
      return manifest.mediaType();
    }
    if (json.has("manifests")) {
      return MediaTypes.OCI_INDEX;
    }
    if (json.has("config") && json.has("layers")) {
      return MediaTypes.OCI_MANIFEST;
    }
    throw new ImageException("manifest of " + ref.familiarName() + " has no media type");
  }

  private static Descriptor descriptor(JsonNode node, String where) {
    if (!node.isObject() || !node.path("mediaType").isTextual() || !node.path("digest").isTextual()
        || !node.path("size").canConvertToLong() || node.path("size").asLong() < 0) {
      throw new ImageException(where + " is malformed: a descriptor needs mediaType, digest and size");
    }
    Digest digest;
    try {
      digest = Digest.parse(node.path("digest").asText());
    } catch (IllegalArgumentException e) {
      throw new ImageException(where + " is malformed: " + e.getMessage());
    }
    Platform platform = null;
    JsonNode p = node.path("platform");
    if (p.path("os").isTextual() && p.path("architecture").isTextual()) {
      platform = new Platform(p.path("os").asText(), p.path("architecture").asText(), p.path("variant").asText(null));
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    return new Descriptor(node.path("mediaType").asText(), digest, node.path("size").asLong(), platform, annotations);
  }
}
