package dev.linux.env.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads an OCI image layout directory: {@code oci-layout}, {@code index.json} and
 * {@code blobs/sha256/…}. Every blob is verified against its descriptor's digest and size as it
 * is read; JSON documents are read whole (they are small and capped), layers are streamed.
 *
 * <p>Both OCI and Docker v2 schema 2 manifests are understood, and indexes (also nested, also
 * Docker manifest lists) are resolved to the manifest for a {@link Platform}.
 */
public final class OciLayout {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_JSON_SIZE = 4L << 20;
  private static final int MAX_INDEX_DEPTH = 4;

  private final Path dir;
  private final List<Descriptor> manifests;

  private OciLayout(Path dir, List<Descriptor> manifests) {
    this.dir = dir;
    this.manifests = List.copyOf(manifests);
  }

  /**
   * Opens the layout in {@code dir}, reading {@code oci-layout} and {@code index.json}.
   *
   * @throws ImageException if the directory is not a readable OCI image layout
   */
  public static OciLayout open(Path dir) {
    JsonNode layout = readJsonFile(dir.resolve("oci-layout"), dir);
    String version = layout.path("imageLayoutVersion").asText("");
    if (!version.startsWith("1.")) {
      throw new ImageException(dir + " is not a supported OCI image layout: imageLayoutVersion '" + version + "'");
    }
    JsonNode index = readJsonFile(dir.resolve("index.json"), dir);
    return new OciLayout(dir, descriptors(index.path("manifests"), dir.resolve("index.json").toString()));
  }

  public Path directory() {
    return dir;
  }

  /** The entries of {@code index.json}, in order. */
  public List<Descriptor> manifests() {
    return manifests;
  }

  /** The values of the {@code org.opencontainers.image.ref.name} annotations in {@code index.json}. */
  public Set<String> tags() {
    Set<String> tags = new LinkedHashSet<>();
    for (Descriptor d : manifests) {
      if (d.refName() != null) {
        tags.add(d.refName());
      }
    }
    return tags;
  }

  /** Whether {@code index.json} has an entry tagged {@code tag}. */
  public boolean hasTag(String tag) {
    return tags().contains(tag);
  }

  /** The image for the host platform; see {@link #image(String, Platform)}. */
  public OciImage image(String tag) {
    return image(tag, Platform.host());
  }

  /**
   * Selects an image: the {@code index.json} entry tagged {@code tag}, or, when {@code tag} is
   * null, the only entry. An index found there is resolved to its manifest for {@code platform}.
   */
  public OciImage image(String tag, Platform platform) {
    return resolve(select(tag), platform, tag == null ? dir.toString() : "'" + tag + "'");
  }

  /** Resolves an entry of {@code index.json} (or any manifest or index in the layout) for {@code platform}. */
  public OciImage imageOf(Descriptor entry, Platform platform) {
    return resolve(entry, platform, entry.digest().shortForm());
  }

  private Descriptor select(String tag) {
    if (tag == null) {
      if (manifests.size() != 1) {
        throw new ImageException(manifests.isEmpty()
            ? "image layout " + dir + " holds no image"
            : "image layout " + dir + " holds " + manifests.size() + " images; name one by tag (" + describeTags() + ")");
      }
      return manifests.getFirst();
    }
    Descriptor found = null;
    for (Descriptor d : manifests) {
      if (tag.equals(d.refName())) {
        found = d; // the last entry wins, as index.json is appended to
      }
    }
    if (found == null) {
      throw new ImageException("no image tagged '" + tag + "' in " + dir + " (" + describeTags() + ")");
    }
    return found;
  }

  private String describeTags() {
    Set<String> tags = tags();
    return tags.isEmpty() ? "no tags" : "tags: " + String.join(", ", tags);
  }

  private OciImage resolve(Descriptor descriptor, Platform platform, String what) {
    Descriptor current = descriptor;
    for (int depth = 0; MediaTypes.INDEXES.contains(current.mediaType()); depth++) {
      if (depth == MAX_INDEX_DEPTH) {
        throw new ImageException("image " + what + ": indexes nested deeper than " + MAX_INDEX_DEPTH);
      }
      JsonNode index = readJson(current);
      List<Descriptor> entries = descriptors(index.path("manifests"), "index " + current.digest());
      Descriptor match = null;
      for (Descriptor entry : entries) {
        if (entry.platform() != null && platform.accepts(entry.platform())) {
          match = entry;
          break;
        }
      }
      if (match == null) {
        String offered = entries.stream()
            .map(e -> e.platform() == null ? "unknown" : e.platform().toString())
            .collect(Collectors.joining(", "));
        throw new ImageException("image " + what + " has no manifest for " + platform + " (it has: " + offered + ")");
      }
      current = match;
    }
    if (!MediaTypes.MANIFESTS.contains(current.mediaType())) {
      throw new ImageException("image " + what + ": unsupported manifest media type '" + current.mediaType() + "'");
    }
    return readImage(current, what);
  }

  private OciImage readImage(Descriptor manifestDescriptor, String what) {
    JsonNode manifest = readJson(manifestDescriptor);
    String where = "manifest " + manifestDescriptor.digest();
    String declared = manifest.path("mediaType").asText(null);
    if (declared != null && !declared.equals(manifestDescriptor.mediaType())) {
      throw new ImageException(where + " declares media type '" + declared + "' but is referenced as '"
          + manifestDescriptor.mediaType() + "'");
    }
    if (!manifest.has("config") || !manifest.path("layers").isArray()) {
      throw new ImageException(where + " is malformed: it needs 'config' and 'layers'");
    }
    Descriptor configDescriptor = descriptor(manifest.path("config"), where);
    if (!MediaTypes.CONFIGS.contains(configDescriptor.mediaType())) {
      throw new ImageException("image " + what + " is not a container image: config media type '"
          + configDescriptor.mediaType() + "'");
    }
    JsonNode configJson = readJson(configDescriptor);
    ImageConfig config = config(configJson, "config " + configDescriptor.digest());
    List<Digest> diffIds = new ArrayList<>();
    for (JsonNode id : configJson.path("rootfs").path("diff_ids")) {
      diffIds.add(digest(id.asText(), "config " + configDescriptor.digest()));
    }
    List<Descriptor> layerDescriptors = descriptors(manifest.path("layers"), where);
    if (!diffIds.isEmpty() && diffIds.size() != layerDescriptors.size()) {
      throw new ImageException("image " + what + ": manifest lists " + layerDescriptors.size()
          + " layers but config lists " + diffIds.size() + " diff_ids");
    }
    List<OciImage.Layer> layers = new ArrayList<>();
    for (int i = 0; i < layerDescriptors.size(); i++) {
      Descriptor d = layerDescriptors.get(i);
      Compression compression;
      try {
        compression = MediaTypes.layerCompression(d.mediaType());
      } catch (ImageException e) {
        throw new ImageException("layer " + d.digest() + " of image " + what + ": " + e.getMessage());
      }
      layers.add(new OciImage.Layer(d, compression, diffIds.isEmpty() ? null : diffIds.get(i)));
    }
    return new OciImage(this, manifestDescriptor, config, layers);
  }

  private static ImageConfig config(JsonNode json, String where) {
    if (!json.isObject()) {
      throw new ImageException(where + " is malformed: not a JSON object");
    }
    JsonNode c = json.path("config");
    Map<String, String> labels = new LinkedHashMap<>();
    c.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    Set<String> ports = new LinkedHashSet<>();
    c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
    return new ImageConfig(
        json.path("architecture").asText(""),
        json.path("os").asText(""),
        strings(c.path("Env")),
        emptyToNull(c.path("WorkingDir").asText(null)),
        emptyToNull(c.path("User").asText(null)),
        strings(c.path("Entrypoint")),
        strings(c.path("Cmd")),
        labels,
        ports);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.asText());
    }
    return out;
  }

  /**
   * Opens a blob for streaming; the stream throws {@link ImageException} at its end if the
   * content does not match the descriptor. Read it to the end.
   */
  public DigestVerifyingInputStream openBlob(Descriptor descriptor) {
    Path path = blobPath(descriptor.digest());
    try {
      return new DigestVerifyingInputStream(Files.newInputStream(path), descriptor.digest(), descriptor.size(),
          "blob " + descriptor.digest());
    } catch (NoSuchFileException e) {
      throw new ImageException("blob " + descriptor.digest() + " is missing from " + dir);
    } catch (IOException e) {
      throw new ImageException("cannot read blob " + descriptor.digest() + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Where the blob with {@code digest} is (or would be) stored. */
  public Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** Whether the blob is present (not whether it is intact). */
  public boolean hasBlob(Digest digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  private JsonNode readJson(Descriptor descriptor) {
    if (descriptor.size() > MAX_JSON_SIZE) {
      throw new ImageException("blob " + descriptor.digest() + " is too large for a JSON document ("
          + descriptor.size() + " bytes)");
    }
    byte[] bytes;
    try (DigestVerifyingInputStream in = openBlob(descriptor)) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new ImageException("cannot read blob " + descriptor.digest() + ": " + e.getMessage(), e);
    }
    return parse(bytes, "blob " + descriptor.digest());
  }

  private static JsonNode readJsonFile(Path file, Path dir) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_JSON_SIZE) {
        throw new ImageException(file + " is too large");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ImageException(dir + " is not an OCI image layout: " + file.getFileName() + " is missing");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return parse(bytes, file.toString());
  }

  private static JsonNode parse(byte[] bytes, String what) {
    try {
      JsonNode node = JSON.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw new ImageException(what + " is malformed: not a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ImageException(what + " is malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ImageException(what + " cannot be parsed: " + e.getMessage(), e);
    }
  }

  private static List<Descriptor> descriptors(JsonNode array, String where) {
    if (!array.isArray()) {
      throw new ImageException(where + " is malformed: expected an array of descriptors");
    }
    List<Descriptor> out = new ArrayList<>();
    for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
      out.add(descriptor(it.next(), where));
    }
    return out;
  }

  static Descriptor descriptor(JsonNode node, String where) {
    if (!node.isObject() || !node.path("mediaType").isTextual() || !node.path("digest").isTextual()
        || !node.path("size").canConvertToLong()) {
      throw new ImageException(where + " is malformed: a descriptor needs mediaType, digest and size");
    }
    Platform platform = null;
    JsonNode p = node.path("platform");
    if (p.isObject()) {
      if (!p.path("os").isTextual() || !p.path("architecture").isTextual()) {
        throw new ImageException(where + " is malformed: a platform needs os and architecture");
      }
      platform = new Platform(p.path("os").asText(), p.path("architecture").asText(), p.path("variant").asText(null));
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
    long size = node.path("size").asLong();
    if (size < 0) {
      throw new ImageException(where + " is malformed: negative size " + size);
    }
    return new Descriptor(node.path("mediaType").asText(), digest(node.path("digest").asText(), where), size,
        platform, annotations);
  }

  private static Digest digest(String text, String where) {
    try {
      return Digest.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ImageException(where + " is malformed: " + e.getMessage());
    }
  }

  /** Opens a layer's uncompressed tar stream on top of an already opened blob stream. */
  static InputStream uncompressed(InputStream blob, OciImage.Layer layer) throws IOException {
    return Compression.decompress(blob, "layer " + layer.descriptor().digest());
  }
}
