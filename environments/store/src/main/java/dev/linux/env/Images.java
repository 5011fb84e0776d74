package dev.linux.env;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.linux.env.image.ArchiveLoader;
import dev.linux.env.image.Compression;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.ImageStore;
import dev.linux.env.image.OciImage;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.Platform;
import dev.linux.env.image.StoreLock;
import dev.linux.env.registry.CredentialHelper;
import dev.linux.env.registry.Credentials;
import dev.linux.env.registry.DockerConfig;
import dev.linux.env.registry.ImagePuller;
import dev.linux.env.registry.RegistryClient;
import dev.linux.env.registry.RegistryException;
import dev.linux.env.registry.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The local image store and the registries behind it, as the CLI and the lifecycle use them:
 * pull, list, inspect, remove, prune, load archives, import rootfs tarballs, log in and out.
 * Every failure is an {@link EnvException} with a one-line message.
 *
 * <p>Registry credentials come from docker's {@code config.json} ({@code DOCKER_CONFIG});
 * registries other than loopback ones are reached over HTTPS unless listed in
 * {@code LINUX_INSECURE_REGISTRIES} (comma-separated).
 */
public final class Images {

  private static final int DOWNLOAD_CONCURRENCY = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path storeDir;
  private final Path dockerConfigDir;
  private final Set<String> insecure;
  private final CredentialHelper helpers;

  public Images(LinuxHome home, Map<String, String> env) {
    this(home.images(), DockerConfig.directory(env), insecure(env), CredentialHelper.system());
  }

  Images(Path storeDir, Path dockerConfigDir, Set<String> insecure, CredentialHelper helpers) {
    this.storeDir = storeDir;
    this.dockerConfigDir = dockerConfigDir;
    this.insecure = Set.copyOf(insecure);
    this.helpers = helpers;
  }

  private static Set<String> insecure(Map<String, String> env) {
    String list = env.getOrDefault("LINUX_INSECURE_REGISTRIES", "");
    return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
  }

  /** Parses {@code os/arch[/variant]} (or just {@code arch}, meaning Linux). */
  public static Platform parsePlatform(String text) {
    if (text == null || text.isBlank()) {
      return Platform.host();
    }
    String[] parts = text.split("/", -1);
    for (String p : parts) {
      if (p.isEmpty()) {
        throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "invalid platform '" + text + "': expected os/arch[/variant]");
      }
    }
    return switch (parts.length) {
      case 1 -> new Platform("linux", Platform.goArch(parts[0]), null);
      case 2 -> new Platform(parts[0], Platform.goArch(parts[1]), null);
      case 3 -> new Platform(parts[0], Platform.goArch(parts[1]), parts[2]);
      default -> throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "invalid platform '" + text + "': expected os/arch[/variant]");
    };
  }

  public ImageStore store() {
    return guard("image store", () -> ImageStore.open(storeDir));
  }

  /** Pulls a registry reference into the store and tags it with its familiar name. */
  public ImagePuller.Result pull(String reference, Platform platform, ImagePuller.Listener listener) {
    ImageRef ref = parse(reference);
    if (ref.isLocal()) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT,
          "cannot pull '" + reference + "': not a registry reference (use linux image load for archives)");
    }
    return guard(ref.familiarName(), () -> new ImagePuller(client(), ImageStore.open(storeDir), DOWNLOAD_CONCURRENCY)
        .pull(ref, platform, listener));
  }

  /** Loads an oci-archive or docker-archive file into the store. */
  public List<ArchiveLoader.Loaded> load(Path archive, String tag) {
    if (!Files.isRegularFile(archive)) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no such file: " + archive);
    }
    return guard(archive.toString(), () -> ArchiveLoader.load(archive, ImageStore.open(storeDir), tag));
  }

  public List<ImageStore.Entry> list() {
    return guard("image store", () -> ImageStore.open(storeDir).list());
  }

  /** The tag a reference is stored under: its familiar name, or the tag of a local name. */
  public static String storeTag(String reference) {
    return parse(reference).familiarName();
  }

  /** Removes an image's tag and the blobs nothing else uses. */
  public ImageStore.PruneResult remove(String reference) {
    String tag = storeTag(reference);
    return guard(tag, () -> {
      ImageStore store = ImageStore.open(storeDir);
      if (!store.untag(tag)) {
        throw new EnvException(EnvException.Code.NOT_FOUND, "no image '" + tag + "' in the local image store");
      }
      return store.prune();
    });
  }

  public ImageStore.PruneResult prune() {
    return guard("image store", () -> ImageStore.open(storeDir).prune());
  }

  /** A JSON description of a stored image: name, digests, platform, size, config, layers. */
  public ObjectNode inspect(String reference) {
    String tag = storeTag(reference);
    return guard(tag, () -> {
      ImageStore store = ImageStore.open(storeDir);
      Descriptor manifest = store.find(tag).orElseThrow(() -> new EnvException(EnvException.Code.NOT_FOUND,
          "no image '" + tag + "' in the local image store"));
      Platform platform = manifest.platform() != null ? manifest.platform() : Platform.host();
      OciImage image = store.layout().image(tag, platform);
      ObjectNode out = JSON.createObjectNode();
      out.put("name", tag);
      out.put("digest", manifest.digest().toString());
      out.put("mediaType", manifest.mediaType());
      out.put("imageManifest", image.manifest().digest().toString());
      ImageConfig c = image.config();
      out.put("platform", c.os() + "/" + c.architecture());
      out.put("size", image.compressedSize());
      ObjectNode config = out.putObject("config");
      c.env().forEach(config.putArray("env")::add);
      if (c.workingDir() != null) {
        config.put("workingDir", c.workingDir());
      }
      if (c.user() != null) {
        config.put("user", c.user());
      }
      c.entrypoint().forEach(config.putArray("entrypoint")::add);
      c.cmd().forEach(config.putArray("cmd")::add);
      ObjectNode labels = config.putObject("labels");
      c.labels().forEach(labels::put);
      c.exposedPorts().forEach(config.putArray("exposedPorts")::add);
      for (OciImage.Layer layer : image.layers()) {
        ObjectNode l = out.withArray("layers").addObject();
        l.put("digest", layer.descriptor().digest().toString());
        l.put("mediaType", layer.descriptor().mediaType());
        l.put("size", layer.descriptor().size());
        if (layer.diffId() != null) {
          l.put("diffId", layer.diffId().toString());
        }
      }
      return out;
    });
  }

  /**
   * Stores a root filesystem tarball (tar, optionally gzip, bzip2, xz or zstd) as a one-layer
   * image tagged {@code tag}, for {@code linux import}. The layer is kept uncompressed: it is
   * read once, locally, right after.
   */
  public Descriptor importRootfs(InputStream tarball, String what, String tag) {
    return guard(what, () -> {
      ImageStore store = ImageStore.open(storeDir);
      try (StoreLock.Held use = store.use(); InputStream tar = Compression.decompress(tarball, what)) {
        OciLayoutWriter writer = store.writer();
        OciLayoutWriter.LayerBlob layer = writer.addLayer(tar, Compression.NONE);
        Platform platform = Platform.host();
        Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), List.of(layer.diffId()));
        Descriptor manifest = writer.writeManifest(config, List.of(layer.descriptor()));
        store.tag(manifest, tag, platform);
        return manifest;
      }
    });
  }

  /** Checks the credentials with the registry, then stores them in {@code config.json}. */
  public Path login(String registry, Credentials credentials, boolean verify) {
    String name = registryName(registry);
    return guard("registry " + name, () -> {
      if (verify) {
        client().verifyLogin(name, credentials);
      }
      DockerConfig config = DockerConfig.load(dockerConfigDir, helpers);
      config.login(name, credentials);
      return config.file();
    });
  }

  public boolean logout(String registry) {
    String name = registryName(registry);
    return guard("registry " + name, () -> DockerConfig.load(dockerConfigDir, helpers).logout(name));
  }

  /** {@code docker.io}, {@code HOST[:PORT]}; a URL's scheme and path are dropped. */
  static String registryName(String text) {
    String host = DockerConfig.normalize(text);
    if (host.isEmpty()) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "invalid registry '" + text + "'");
    }
    return host;
  }

  private RegistryClient client() {
    DockerConfig config = DockerConfig.load(dockerConfigDir, helpers);
    return new RegistryClient(RegistryClient.newHttpClient(), config::credentials, insecure, RetryPolicy.DEFAULT);
  }

  static ImageRef parse(String reference) {
    try {
      return ImageRef.parse(reference);
    } catch (IllegalArgumentException e) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, e.getMessage(), e);
    }
  }

  /** Runs an operation, translating failures once into {@link EnvException}. */
  private static <T> T guard(String what, IoSupplier<T> action) {
    try {
      return action.get();
    } catch (EnvException e) {
      throw e;
    } catch (RegistryException e) {
      EnvException.Code code = e.isNotFound() ? EnvException.Code.NOT_FOUND
          : e.isUnauthorized() ? EnvException.Code.FAILED_PRECONDITION
          : e.isUnreachable() || e.status() >= 500 ? EnvException.Code.UNAVAILABLE
          : EnvException.Code.INVALID_ARGUMENT;
      throw new EnvException(code, e.getMessage(), e);
    } catch (ImageException | IllegalArgumentException e) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, e.getMessage(), e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, what + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new EnvException(EnvException.Code.IO, what + ": " + e.getCause().getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface IoSupplier<T> {
    T get() throws IOException;
  }

  /** Whether the store has {@code tag}. */
  public boolean has(String tag) {
    return Files.isRegularFile(storeDir.resolve("index.json")) && store().find(tag).isPresent();
  }

  Optional<Descriptor> find(String tag) {
    return Files.isRegularFile(storeDir.resolve("index.json")) ? store().find(tag) : Optional.empty();
  }
}
