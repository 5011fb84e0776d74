package dev.linux.env.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Creates or extends an OCI image layout: adds blobs, writes configs and manifests, tags
 * manifests in {@code index.json}. Every file lands by temp-file-then-atomic-rename, so a crash
 * leaves either the old state or the new one (plus perhaps an orphaned temp file under
 * {@code blobs/}); blobs are content-addressed and written at most once.
 *
 * <p>Writers of one layout must not tag concurrently: {@code index.json} is read, changed and
 * replaced. The image store above this class serialises them.
 */
public final class OciLayoutWriter {

  private final Path dir;

  private OciLayoutWriter(Path dir) {
    this.dir = dir;
  }

  /** Opens the layout in {@code dir}, creating the directory, {@code oci-layout} and an empty index if missing. */
  public static OciLayoutWriter open(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
    OciLayoutWriter writer = new OciLayoutWriter(dir);
    if (!Files.exists(dir.resolve("oci-layout"))) {
      writer.writeAtomically(dir.resolve("oci-layout"),
          ("{\"imageLayoutVersion\":\"" + MediaTypes.OCI_LAYOUT_VERSION + "\"}").getBytes(StandardCharsets.UTF_8));
    }
    if (!Files.exists(dir.resolve("index.json"))) {
      ObjectNode index = OciLayout.JSON.createObjectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.OCI_INDEX);
      index.putArray("manifests");
      writer.writeAtomically(dir.resolve("index.json"), OciLayout.JSON.writeValueAsBytes(index));
    }
    return writer;
  }

  public Path directory() {
    return dir;
  }

  /** Adds a blob from a stream, computing its digest while writing a temp file. */
  public Descriptor addBlob(String mediaType, InputStream content) throws IOException {
    Path tmp = Files.createTempFile(dir.resolve("blobs"), ".tmp-blob-", "");
    try {
      MessageDigest sha256 = Digest.newSha256();
      long size;
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha256)) {
        size = content.transferTo(out);
      }
      Digest digest = Digest.of(sha256);
      fsync(tmp);
      commitBlob(tmp, digest);
      return new Descriptor(mediaType, digest, size);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Adds a blob held in memory (JSON documents). */
  public Descriptor addBlob(String mediaType, byte[] content) throws IOException {
    return addBlob(mediaType, new ByteArrayInputStream(content));
  }

  /**
   * Adds an uncompressed tar stream as a layer blob, compressing it with gzip (at the fastest
   * level: the store is local, so fast beats small) or zstd if asked.
   *
   * @return the layer's descriptor and its diff_id (digest of the uncompressed tar)
   */
  public LayerBlob addLayer(InputStream tar, Compression compression) throws IOException {
    if (compression == Compression.NONE) {
      Descriptor d = addBlob(MediaTypes.OCI_LAYER_TAR, tar);
      return new LayerBlob(d, d.digest());
    }
    if (compression != Compression.GZIP && compression != Compression.ZSTD) {
      throw new IllegalArgumentException("layers can be stored uncompressed, gzip- or zstd-compressed, not " + compression);
    }
    Path tmp = Files.createTempFile(dir.resolve("blobs"), ".tmp-layer-", "");
    try {
      MessageDigest compressedSha = Digest.newSha256();
      MessageDigest diffSha = Digest.newSha256();
      try (OutputStream file = new DigestOutputStream(Files.newOutputStream(tmp), compressedSha);
          OutputStream compressed = compression == Compression.GZIP
              ? new FastGzipOutputStream(file)
              : new com.github.luben.zstd.ZstdOutputStream(file, 3);
          OutputStream out = new DigestOutputStream(compressed, diffSha)) {
        tar.transferTo(out);
      }
      Digest digest = Digest.of(compressedSha);
      long size = Files.size(tmp);
      fsync(tmp);
      commitBlob(tmp, digest);
      String mediaType = compression == Compression.GZIP ? MediaTypes.OCI_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR_ZSTD;
      return new LayerBlob(new Descriptor(mediaType, digest, size), Digest.of(diffSha));
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** A layer blob as stored, and the digest of its uncompressed tar. */
  public record LayerBlob(Descriptor descriptor, Digest diffId) {}

  /** Writes an OCI image config listing the layers' diff_ids. */
  public Descriptor writeConfig(ImageConfig config, List<Digest> diffIds) throws IOException {
    ObjectNode json = OciLayout.JSON.createObjectNode();
    json.put("architecture", config.architecture());
    json.put("os", config.os());
    ObjectNode c = json.putObject("config");
    strings(c.putArray("Env"), config.env());
    if (!config.entrypoint().isEmpty()) {
      strings(c.putArray("Entrypoint"), config.entrypoint());
    }
    if (!config.cmd().isEmpty()) {
      strings(c.putArray("Cmd"), config.cmd());
    }
    if (config.workingDir() != null) {
      c.put("WorkingDir", config.workingDir());
    }
    if (config.user() != null) {
      c.put("User", config.user());
    }
    if (!config.labels().isEmpty()) {
      ObjectNode labels = c.putObject("Labels");
      config.labels().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> labels.put(e.getKey(), e.getValue()));
    }
    if (!config.exposedPorts().isEmpty()) {
      ObjectNode ports = c.putObject("ExposedPorts");
      config.exposedPorts().stream().sorted().forEach(p -> ports.putObject(p));
    }
    ObjectNode rootfs = json.putObject("rootfs");
    rootfs.put("type", "layers");
    strings(rootfs.putArray("diff_ids"), diffIds.stream().map(Digest::toString).toList());
    return addBlob(MediaTypes.OCI_CONFIG, OciLayout.JSON.writeValueAsBytes(json));
  }

  /** Writes an OCI image manifest. */
  public Descriptor writeManifest(Descriptor config, List<Descriptor> layers) throws IOException {
    ObjectNode json = OciLayout.JSON.createObjectNode();
    json.put("schemaVersion", 2);
    json.put("mediaType", MediaTypes.OCI_MANIFEST);
    descriptor(json.putObject("config"), config);
    ArrayNode array = json.putArray("layers");
    for (Descriptor layer : layers) {
      descriptor(array.addObject(), layer);
    }
    return addBlob(MediaTypes.OCI_MANIFEST, OciLayout.JSON.writeValueAsBytes(json));
  }

  /** Writes an OCI index over the given manifests (each should carry its platform). */
  public Descriptor writeIndex(List<Descriptor> manifests) throws IOException {
    ObjectNode json = OciLayout.JSON.createObjectNode();
    json.put("schemaVersion", 2);
    json.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode array = json.putArray("manifests");
    for (Descriptor m : manifests) {
      descriptor(array.addObject(), m);
    }
    return addBlob(MediaTypes.OCI_INDEX, OciLayout.JSON.writeValueAsBytes(json));
  }

  /**
   * Points {@code tag} at {@code manifest} in {@code index.json}, replacing an entry of the same
   * tag. {@code platform} is recorded on the entry (may be null).
   */
  public void tag(Descriptor manifest, String tag, Platform platform) throws IOException {
    ImageRef.parse(ImageRef.Transport.OCI.prefix() + "x:" + tag); // validates the tag grammar
    OciLayout current = OciLayout.open(dir);
    List<Descriptor> entries = new ArrayList<>();
    for (Descriptor d : current.manifests()) {
      if (!tag.equals(d.refName())) {
        entries.add(d);
      }
    }
    entries.add(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(), platform,
        Map.of(MediaTypes.REF_NAME_ANNOTATION, tag)));
    ObjectNode index = OciLayout.JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode array = index.putArray("manifests");
    for (Descriptor d : entries) {
      descriptor(array.addObject(), d);
    }
    writeAtomically(dir.resolve("index.json"), OciLayout.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
  }

  /** Removes {@code tag} from {@code index.json} (blobs stay; garbage collection is the store's job). */
  public boolean untag(String tag) throws IOException {
    OciLayout current = OciLayout.open(dir);
    ObjectNode index = OciLayout.JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode array = index.putArray("manifests");
    boolean removed = false;
    for (Descriptor d : current.manifests()) {
      if (tag.equals(d.refName())) {
        removed = true;
      } else {
        descriptor(array.addObject(), d);
      }
    }
    if (removed) {
      writeAtomically(dir.resolve("index.json"), OciLayout.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    }
    return removed;
  }

  private static void descriptor(ObjectNode node, Descriptor d) {
    node.put("mediaType", d.mediaType());
    node.put("digest", d.digest().toString());
    node.put("size", d.size());
    if (d.platform() != null) {
      ObjectNode p = node.putObject("platform");
      p.put("architecture", d.platform().architecture());
      p.put("os", d.platform().os());
      if (d.platform().variant() != null) {
        p.put("variant", d.platform().variant());
      }
    }
    if (!d.annotations().isEmpty()) {
      ObjectNode a = node.putObject("annotations");
      d.annotations().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> a.put(e.getKey(), e.getValue()));
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  private void commitBlob(Path tmp, Digest digest) throws IOException {
    Path target = dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    if (Files.exists(target)) {
      return; // content-addressed: the same bytes are already there
    }
    move(tmp, target);
  }

  private void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".tmp-", "");
    try {
      try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(content));
        channel.force(true);
      }
      move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void fsync(Path file) throws IOException {
    try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** gzip at the fastest level: layers here are compressed once and read locally. */
  private static final class FastGzipOutputStream extends GZIPOutputStream {
    FastGzipOutputStream(OutputStream out) throws IOException {
      super(out, 65536);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }
}
