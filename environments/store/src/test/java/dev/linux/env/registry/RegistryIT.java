package dev.linux.env.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.CreateOptions;
import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.ByteSize;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.image.Compression;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.ImageStore;
import dev.linux.env.image.MediaTypes;
import dev.linux.env.image.OciImage;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.Platform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real registry (Debian's docker-registry) started on 127.0.0.1 for this class. */
class RegistryIT {

  private static final Platform AMD64 = new Platform("linux", "amd64", null);
  private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

  @TempDir static Path shared;
  @TempDir Path tmp;

  static LocalRegistry registry;
  static Path layout;
  /** Digest of the large layer of tag "gzip". */
  static Map<String, Descriptor> bigLayers = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void startRegistry() throws Exception {
    assertTrue(LocalRegistry.available(), "docker-registry and skopeo are needed (bin/test installs them)");
    Files.createDirectories(shared.resolve("registry"));
    registry = LocalRegistry.start(shared.resolve("registry"), null);
    layout = shared.resolve("layout");
    for (Compression c : List.of(Compression.GZIP, Compression.ZSTD, Compression.NONE)) {
      String tag = c.name().toLowerCase();
      buildImage(layout, tag, c, Platform.host(), 3 << 20);
      if (c == Compression.NONE) {
        RawPush.push(dev.linux.env.image.OciLayout.open(layout), tag, registry.address(), "test/image", tag);
      } else {
        registry.push(layout, tag, "test/image:" + tag, List.of());
      }
    }
    registry.push(layout, "gzip", "test/docker:v2", List.of("--format", "v2s2"));
    // a multi-architecture index over two single-platform manifests
    Descriptor amd = buildImage(layout, "amd", Compression.GZIP, AMD64, 1000);
    Descriptor arm = buildImage(layout, "arm", Compression.GZIP, ARM64, 1001);
    OciLayoutWriter writer = OciLayoutWriter.open(layout);
    Descriptor index = writer.writeIndex(List.of(
        new Descriptor(amd.mediaType(), amd.digest(), amd.size(), AMD64, null),
        new Descriptor(arm.mediaType(), arm.digest(), arm.size(), ARM64, null)));
    writer.tag(index, "multi", null);
    registry.push(layout, "multi", "test/multi:latest", List.of("--all"));
  }

  @AfterAll
  static void stopRegistry() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  /** One layer: a file of random bytes of {@code size} and a text file naming the platform. */
  static Descriptor buildImage(Path dir, String tag, Compression compression, Platform platform, int size)
      throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
      byte[] random = new byte[size];
      new Random(tag.hashCode()).nextBytes(random);
      file(out, "data/random.bin", random);
      file(out, "etc/platform", (platform + "\n").getBytes(StandardCharsets.UTF_8));
    }
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    OciLayoutWriter.LayerBlob layer = writer.addLayer(new java.io.ByteArrayInputStream(tar.toByteArray()), compression);
    bigLayers.put(tag, layer.descriptor());
    Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), List.of(layer.diffId()));
    Descriptor manifest = writer.writeManifest(config, List.of(layer.descriptor()));
    writer.tag(manifest, tag, platform);
    return manifest;
  }

  private static void file(TarArchiveOutputStream out, String name, byte[] content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(content.length);
    e.setMode(0644);
    out.putArchiveEntry(e);
    out.write(content);
    out.closeArchiveEntry();
  }

  private RegistryClient client(Path dockerConfigDir) {
    DockerConfig config = DockerConfig.load(dockerConfigDir, CredentialHelper.system());
    return new RegistryClient(RegistryClient.newHttpClient(), config::credentials, Set.of(),
        new RetryPolicy(4, Duration.ofMillis(20), Duration.ofMillis(200)));
  }

  private ImagePuller.Result pull(ImageStore store, String address, String name, Platform platform, Path dockerConfig)
      throws IOException {
    return new ImagePuller(client(dockerConfig), store, 4)
        .pull(ImageRef.parse(address + "/" + name), platform, ImagePuller.Listener.NONE);
  }

  private static OciImage stored(ImageStore store, String tag) {
    return store.layout().image(tag, Platform.host());
  }

  @Test
  void anonymousPullOfGzipZstdAndUncompressedLayers() throws IOException {
    ImageStore store = ImageStore.open(tmp.resolve("images"));
    for (String tag : List.of("gzip", "zstd", "none")) {
      ImagePuller.Result result = pull(store, registry.address(), "test/image:" + tag, Platform.host(), tmp);
      assertEquals(registry.address() + "/test/image:" + tag, result.tag());
      OciImage image = stored(store, result.tag());
      assertEquals(bigLayers.get(tag).digest(), image.layers().getFirst().descriptor().digest());
      assertEquals(MediaTypes.OCI_MANIFEST, image.manifest().mediaType());
    }
    assertEquals(MediaTypes.OCI_LAYER_TAR_ZSTD,
        stored(store, registry.address() + "/test/image:zstd").layers().getFirst().descriptor().mediaType());
  }

  @Test
  void dockerV2ManifestsArePulled() throws IOException {
    ImageStore store = ImageStore.open(tmp.resolve("images"));
    ImagePuller.Result result = pull(store, registry.address(), "test/docker:v2", Platform.host(), tmp);
    assertEquals(MediaTypes.DOCKER_MANIFEST, result.manifest().mediaType());
    OciImage image = stored(store, result.tag());
    assertEquals(MediaTypes.DOCKER_LAYER_TAR_GZIP, image.layers().getFirst().descriptor().mediaType());
  }

  @Test
  void multiArchitectureIndexResolvesToTheWantedPlatform() throws IOException {
    ImageStore amdStore = ImageStore.open(tmp.resolve("amd"));
    ImagePuller.Result amd = pull(amdStore, registry.address(), "test/multi", AMD64, tmp);
    assertEquals(AMD64, amd.platform());
    assertEquals("amd64", stored(amdStore, amd.tag()).config().architecture());

    ImageStore armStore = ImageStore.open(tmp.resolve("arm"));
    ImagePuller.Result arm = pull(armStore, registry.address(), "test/multi", new Platform("linux", "arm64", null), tmp);
    assertEquals(ARM64, arm.platform());
    assertEquals("arm64", armStore.layout().image(arm.tag(), ARM64).config().architecture());

    ImageException none = assertThrows(ImageException.class,
        () -> pull(ImageStore.open(tmp.resolve("s390")), registry.address(), "test/multi", new Platform("linux", "s390x", null), tmp));
    assertEquals("image " + registry.address() + "/test/multi:latest has no manifest for linux/s390x"
        + " (it has: linux/amd64, linux/arm64/v8)", none.getMessage());
  }

  @Test
  void basicAuthThroughDockerConfig() throws Exception {
    String hash = bcrypt("s3cret");
    Path dir = tmp.resolve("authreg");
    Files.createDirectories(dir);
    try (LocalRegistry secured = LocalRegistry.start(dir, "alice:" + hash)) {
      LocalRegistry.push("oci:" + layout + ":gzip", secured.address(), "private/app:1",
          List.of("--dest-creds", "alice:s3cret"));
      ImageStore store = ImageStore.open(tmp.resolve("images"));
      RegistryException anonymous = assertThrows(RegistryException.class,
          () -> pull(store, secured.address(), "private/app:1", Platform.host(), tmp.resolve("nocreds")));
      assertTrue(anonymous.getMessage().contains("requires authentication"), anonymous.getMessage());

      Path dockerConfig = tmp.resolve("docker");
      Files.createDirectories(dockerConfig);
      Files.writeString(dockerConfig.resolve("config.json"), "{\"auths\":{\"" + secured.address() + "\":{\"auth\":\""
          + new Credentials("alice", "s3cret").encoded() + "\"}}}");
      ImagePuller.Result result = pull(store, secured.address(), "private/app:1", Platform.host(), dockerConfig);
      assertEquals(bigLayers.get("gzip").digest(), stored(store, result.tag()).layers().getFirst().descriptor().digest());

      client(dockerConfig).verifyLogin(secured.address(), new Credentials("alice", "s3cret"));
      RegistryException wrong = assertThrows(RegistryException.class,
          () -> client(dockerConfig).verifyLogin(secured.address(), new Credentials("alice", "wrong")));
      assertEquals(401, wrong.status());
    }
  }

  @Test
  void bearerTokenChallenge() throws Exception {
    try (RegistryProxy proxy = new RegistryProxy(registry.address())) {
      proxy.requireBearer = true;
      proxy.tokenUser = "bob";
      proxy.tokenPassword = "pw";
      ImageStore store = ImageStore.open(tmp.resolve("images"));
      RegistryException anonymous = assertThrows(RegistryException.class,
          () -> pull(store, proxy.address(), "test/image:gzip", Platform.host(), tmp));
      assertTrue(anonymous.getMessage().contains("not authorised"), anonymous.getMessage());

      Path dockerConfig = tmp.resolve("docker");
      Files.createDirectories(dockerConfig);
      DockerConfig.load(dockerConfig, CredentialHelper.system()).login(proxy.address(), new Credentials("bob", "pw"));
      int before = proxy.requests.size();
      pull(store, proxy.address(), "test/image:gzip", Platform.host(), dockerConfig);
      List<String> requests = proxy.requests.subList(before, proxy.requests.size());
      // one token for the repository, reused by the manifest and every blob
      assertEquals(1, requests.stream().filter(r -> r.startsWith("GET /token")).count(), requests.toString());
      assertEquals(bigLayers.get("gzip").digest(),
          stored(store, proxy.address() + "/test/image:gzip").layers().getFirst().descriptor().digest());
    }
  }

  @Test
  void corruptBlobIsRefusedAndLeavesNoImage() throws Exception {
    Path dir = tmp.resolve("corruptreg");
    Files.createDirectories(dir);
    try (LocalRegistry own = LocalRegistry.start(dir, null)) {
      own.push(layout, "gzip", "test/corrupt:1", List.of());
      Descriptor layer = bigLayers.get("gzip");
      Path data = own.blobData(layer.digest().hex());
      byte[] bytes = Files.readAllBytes(data);
      bytes[bytes.length / 2] ^= 0x55;
      Files.write(data, bytes);
      ImageStore store = ImageStore.open(tmp.resolve("images"));
      ImageException e = assertThrows(ImageException.class,
          () -> pull(store, own.address(), "test/corrupt:1", Platform.host(), tmp));
      assertTrue(e.getMessage().startsWith("blob " + layer.digest() + " of " + own.address() + "/test/corrupt is corrupt"),
          e.getMessage());
      assertTrue(store.list().isEmpty());
      assertFalse(store.hasBlob(layer.digest()));

      // and through the lifecycle: no environment either
      LinuxHome home = new LinuxHome(tmp.resolve("home"), tmp.resolve("home/config"), tmp.resolve("run"));
      Environments environments = new Environments(home, Progress.SILENT, Optional.empty());
      EnvException env = assertThrows(EnvException.class, () -> environments.create(EnvName.of("broken"),
          new CreateOptions(own.address() + "/test/corrupt:1", ByteSize.parse("64M"), 1, ByteSize.parse("256M"))));
      assertTrue(env.getMessage().contains("is corrupt"), env.getMessage());
      assertTrue(environments.find(EnvName.of("broken")).isEmpty());
      assertTrue(ImageStore.open(home.images()).list().isEmpty());
    }
  }

  @Test
  void missingBlobAndNonJsonManifestAreClearErrors() throws Exception {
    Path dir = tmp.resolve("missingreg");
    Files.createDirectories(dir);
    try (LocalRegistry own = LocalRegistry.start(dir, null)) {
      own.push(layout, "zstd", "test/missing:1", List.of());
      Files.delete(own.blobData(bigLayers.get("zstd").digest().hex()));
      RegistryException missing = assertThrows(RegistryException.class,
          () -> pull(ImageStore.open(tmp.resolve("images")), own.address(), "test/missing:1", Platform.host(), tmp));
      assertTrue(missing.isNotFound(), missing.getMessage());
      assertTrue(missing.getMessage().startsWith("blob " + bigLayers.get("zstd").digest().shortForm()), missing.getMessage());
    }
    try (RegistryProxy proxy = new RegistryProxy(registry.address())) {
      proxy.manifestOverride = "<html>not json</html>".getBytes(StandardCharsets.UTF_8);
      ImageException e = assertThrows(ImageException.class,
          () -> pull(ImageStore.open(tmp.resolve("images")), proxy.address(), "test/image:gzip", Platform.host(), tmp));
      assertTrue(e.getMessage().endsWith("is not valid JSON"), e.getMessage());
    }
    RegistryException unknown = assertThrows(RegistryException.class,
        () -> pull(ImageStore.open(tmp.resolve("images")), registry.address(), "test/nothing:here", Platform.host(), tmp));
    assertTrue(unknown.isNotFound(), unknown.getMessage());
  }

  @Test
  void cutDownloadResumesWithRange() throws Exception {
    try (RegistryProxy proxy = new RegistryProxy(registry.address())) {
      Descriptor layer = bigLayers.get("none");
      proxy.cutOnce.put(layer.digest().toString(), true);
      ImageStore store = ImageStore.open(tmp.resolve("images"));
      pull(store, proxy.address(), "test/image:none", Platform.host(), tmp);
      assertTrue(store.hasBlob(layer.digest()));
      List<String> gets = proxy.requests.stream().filter(r -> r.contains("/blobs/" + layer.digest())).toList();
      assertEquals(2, gets.size(), gets.toString());
      // The proxy cuts after half the layer; bytes in flight at the cut may not reach the client,
      // so it resumes from what it verifiably received: after the start, at most half-way.
      java.util.regex.Matcher range = java.util.regex.Pattern.compile("bytes=(\\d+)-$").matcher(gets.get(1));
      assertTrue(range.find(), gets.toString());
      long from = Long.parseLong(range.group(1));
      assertTrue(from > 0 && from <= layer.size() / 2, "resumed from " + from + " of " + layer.size() + ": " + gets);
    }
  }

  @Test
  void concurrentPullsDownloadEachBlobOnce() throws Exception {
    try (RegistryProxy proxy = new RegistryProxy(registry.address())) {
      ImageStore store = ImageStore.open(tmp.resolve("images"));
      List<CompletableFuture<ImagePuller.Result>> pulls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        pulls.add(CompletableFuture.supplyAsync(() -> {
          try {
            return pull(ImageStore.open(tmp.resolve("images")), proxy.address(), "test/image:gzip", Platform.host(), tmp);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }));
      }
      pulls.forEach(CompletableFuture::join);
      assertEquals(2, proxy.blobGets.size(), proxy.requests.toString()); // config and layer
      proxy.blobGets.forEach((digest, count) -> assertEquals(1, count.get(), digest + ": " + proxy.requests));
      assertEquals(1, store.list().size());
      int downloaded = pulls.stream().mapToInt(p -> p.join().downloaded()).sum();
      assertEquals(2, downloaded);
    }
  }

  @Test
  void pruneKeepsTaggedBlobsOnly() throws IOException {
    ImageStore store = ImageStore.open(tmp.resolve("images"));
    pull(store, registry.address(), "test/image:gzip", Platform.host(), tmp);
    pull(store, registry.address(), "test/image:zstd", Platform.host(), tmp);
    assertEquals(0, store.prune().blobs());
    store.untag(registry.address() + "/test/image:zstd");
    ImageStore.PruneResult pruned = store.prune();
    assertEquals(3, pruned.blobs()); // manifest, config, layer of :zstd
    assertTrue(store.hasBlob(bigLayers.get("gzip").digest()));
    assertFalse(store.hasBlob(bigLayers.get("zstd").digest()));
  }

  @Test
  void createPullsMissingImagesAndWritesTheDisk() {
    LinuxHome home = new LinuxHome(tmp.resolve("home"), tmp.resolve("home/config"), tmp.resolve("run"));
    Environments environments = new Environments(home, Progress.SILENT, Optional.empty());
    var record = environments.create(EnvName.of("pulled"),
        new CreateOptions(registry.address() + "/test/image:zstd", ByteSize.parse("64M"), 1, ByteSize.parse("256M")));
    assertEquals(registry.address() + "/test/image:zstd", record.image());
    assertTrue(Files.isRegularFile(home.files(EnvName.of("pulled")).disk()));
  }

  /** A bcrypt hash made by htpasswd (apache2-utils; the registry's htpasswd accepts only bcrypt). */
  static String bcrypt(String password) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("htpasswd", "-nbB", "user", password).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), "htpasswd failed: " + out);
    return out.substring(out.indexOf(':') + 1);
  }
}
