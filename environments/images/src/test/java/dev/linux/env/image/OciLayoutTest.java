package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {

  private static final Platform AMD64 = new Platform("linux", "amd64", null);
  private static final Platform ARM64 = new Platform("linux", "arm64", "v8");

  @TempDir Path dir;

  private Descriptor image(OciLayoutWriter writer, Platform platform, byte[]... layerTars) throws IOException {
    List<Descriptor> layers = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (byte[] tar : layerTars) {
      OciLayoutWriter.LayerBlob blob = writer.addLayer(new ByteArrayInputStream(tar), Compression.GZIP);
      layers.add(blob.descriptor());
      diffIds.add(blob.diffId());
    }
    ImageConfig config = new ImageConfig(platform.architecture(), platform.os(), List.of("PATH=/bin", "A=b"), "/work",
        "1000:1000", List.of("/entry"), List.of("--flag"), Map.of("org.example", "yes"), Set.of("80/tcp"));
    Descriptor configBlob = writer.writeConfig(config, diffIds);
    return writer.writeManifest(configBlob, layers);
  }

  private static byte[] tar(String name, String content) throws IOException {
    return new TarBuilder().file(name, 0644, content).build();
  }

  @Test
  void writesAndReadsBackATaggedImage() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor manifest = image(writer, AMD64, tar("etc/a", "one"), tar("etc/a", "two"));
    writer.tag(manifest, "test:1", AMD64);

    OciLayout layout = OciLayout.open(dir);
    assertEquals(Set.of("test:1"), layout.tags());
    OciImage image = layout.image("test:1", AMD64);
    assertEquals(manifest.digest(), image.manifest().digest());
    ImageConfig config = image.config();
    assertEquals("amd64", config.architecture());
    assertEquals("linux", config.os());
    assertEquals(List.of("PATH=/bin", "A=b"), config.env());
    assertEquals("/work", config.workingDir());
    assertEquals("1000:1000", config.user());
    assertEquals(List.of("/entry"), config.entrypoint());
    assertEquals(List.of("--flag"), config.cmd());
    assertEquals(Map.of("org.example", "yes"), config.labels());
    assertEquals(Set.of("80/tcp"), config.exposedPorts());
    assertEquals(2, image.layers().size());
    assertEquals(Compression.GZIP, image.layers().getFirst().compression());

    RecordingSink sink = new RecordingSink();
    List<String> events = new ArrayList<>();
    ImageApplier.apply(image, sink, new ProgressListener() {
      @Override
      public void started(int index, int count, String name, long totalBytes) {
        events.add("start " + index + "/" + count);
      }

      @Override
      public void progress(int index, long bytesRead, long totalBytes) {
        if (bytesRead == totalBytes) {
          events.add("done " + index);
        }
      }

      @Override
      public void finished(int index, int count) {
        events.add("finish " + index);
      }
    });
    assertEquals("two", sink.get("/etc/a").text(), "upper layer wins");
    assertEquals(List.of("start 0/2", "done 0", "finish 0", "start 1/2", "done 1", "finish 1"), events);

    assertEquals(manifest.digest(), layout.image(null, AMD64).manifest().digest(), "the only image needs no tag");
  }

  @Test
  void retaggingReplacesTheEntry() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor first = image(writer, AMD64, tar("a", "1"));
    Descriptor second = image(writer, AMD64, tar("a", "2"));
    writer.tag(first, "x", AMD64);
    writer.tag(second, "y", AMD64);
    writer.tag(second, "x", AMD64);
    OciLayout layout = OciLayout.open(dir);
    assertEquals(2, layout.manifests().size());
    assertEquals(second.digest(), layout.image("x", AMD64).manifest().digest());
    assertEquals("image layout " + dir + " holds 2 images; name one by tag (tags: y, x)",
        assertThrows(ImageException.class, () -> layout.image(null, AMD64)).getMessage());
    assertEquals("no image tagged 'z' in " + dir + " (tags: y, x)",
        assertThrows(ImageException.class, () -> layout.image("z", AMD64)).getMessage());
    assertTrue(writer.untag("y"));
    assertEquals(Set.of("x"), OciLayout.open(dir).tags());
  }

  @Test
  void nestedIndexesResolveByPlatform() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor amd = image(writer, AMD64, tar("arch", "amd64"));
    Descriptor arm = image(writer, ARM64, tar("arch", "arm64"));
    Descriptor inner = writer.writeIndex(List.of(
        new Descriptor(amd.mediaType(), amd.digest(), amd.size(), AMD64, Map.of()),
        new Descriptor(arm.mediaType(), arm.digest(), arm.size(), ARM64, Map.of())));
    Descriptor outer = writer.writeIndex(List.of(
        new Descriptor(inner.mediaType(), inner.digest(), inner.size(), AMD64, Map.of())));
    writer.tag(outer, "multi", null);
    writer.tag(inner, "inner", null);

    OciLayout layout = OciLayout.open(dir);
    assertEquals(amd.digest(), layout.image("multi", AMD64).manifest().digest());
    assertEquals(arm.digest(), layout.image("inner", new Platform("linux", "arm64", null)).manifest().digest());
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(layout.image("inner", ARM64), sink, ProgressListener.NONE);
    assertEquals("arm64", sink.get("/arch").text());
    assertEquals("image 'inner' has no manifest for linux/riscv64 (it has: linux/amd64, linux/arm64/v8)",
        assertThrows(ImageException.class,
            () -> layout.image("inner", new Platform("linux", "riscv64", null))).getMessage());
  }

  @Test
  void readsDockerManifests() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    byte[] plain = tar("hello", "docker");
    byte[] gz = TarBuilder.gzip(plain);
    Descriptor layer = writer.addBlob(MediaTypes.DOCKER_LAYER_TAR_GZIP, gz);
    String configJson = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"],"
        + "\"WorkingDir\":\"\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
        + Digest.of(plain) + "\"]}}";
    Descriptor config = writer.addBlob(MediaTypes.DOCKER_CONFIG, configJson.getBytes(StandardCharsets.UTF_8));
    String manifestJson = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{"
        + "\"mediaType\":\"" + config.mediaType() + "\",\"digest\":\"" + config.digest() + "\",\"size\":" + config.size()
        + "},\"layers\":[{\"mediaType\":\"" + layer.mediaType() + "\",\"digest\":\"" + layer.digest() + "\",\"size\":"
        + layer.size() + "}]}";
    Descriptor manifest = writer.addBlob(MediaTypes.DOCKER_MANIFEST, manifestJson.getBytes(StandardCharsets.UTF_8));
    writer.tag(manifest, "docker", null);

    OciImage image = OciLayout.open(dir).image("docker", AMD64);
    assertEquals(List.of("/bin/sh"), image.config().cmd());
    assertNull(image.config().workingDir());
    assertEquals(Compression.GZIP, image.layers().getFirst().compression());
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(image, sink, ProgressListener.NONE);
    assertEquals("docker", sink.get("/hello").text());
  }

  @Test
  void corruptBlobsAreNamed() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor manifest = image(writer, AMD64, tar("f", "content"));
    writer.tag(manifest, "t", AMD64);
    OciLayout layout = OciLayout.open(dir);
    OciImage image = layout.image("t", AMD64);
    Descriptor layer = image.layers().getFirst().descriptor();

    Path blob = layout.blobPath(layer.digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length - 1] ^= 1; // the gzip trailer: the tar itself still unpacks
    Files.write(blob, bytes);
    ImageException e = assertThrows(ImageException.class, () -> ImageApplier.apply(image, new RecordingSink(), ProgressListener.NONE));
    assertTrue(e.getMessage().contains(layer.digest().toString()), e.getMessage());

    Files.delete(blob);
    assertEquals("blob " + layer.digest() + " is missing from " + dir,
        assertThrows(ImageException.class, () -> ImageApplier.apply(image, new RecordingSink(), ProgressListener.NONE))
            .getMessage());

    Path manifestBlob = layout.blobPath(manifest.digest());
    Files.writeString(manifestBlob, Files.readString(manifestBlob) + " ");
    assertEquals("blob " + manifest.digest() + " is corrupt: longer than its declared size of " + manifest.size() + " bytes",
        assertThrows(ImageException.class, () -> layout.image("t", AMD64)).getMessage());
  }

  @Test
  void diffIdMismatchIsDetected() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    OciLayoutWriter.LayerBlob blob = writer.addLayer(new ByteArrayInputStream(tar("f", "x")), Compression.GZIP);
    Descriptor config = writer.writeConfig(ImageConfig.of(AMD64, List.of()), List.of(Digest.of(new byte[0])));
    writer.tag(writer.writeManifest(config, List.of(blob.descriptor())), "t", AMD64);
    OciImage image = OciLayout.open(dir).image("t", AMD64);
    ImageException e = assertThrows(ImageException.class, () -> ImageApplier.apply(image, new RecordingSink(), ProgressListener.NONE));
    assertTrue(e.getMessage().contains("diff_id"), e.getMessage());
  }

  @Test
  void malformedDocumentsAreReported() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Files.writeString(dir.resolve("index.json"), "{\"manifests\": [");
    assertTrue(assertThrows(ImageException.class, () -> OciLayout.open(dir)).getMessage()
        .startsWith(dir.resolve("index.json") + " is malformed JSON"));

    Files.writeString(dir.resolve("index.json"), "{\"manifests\":[{\"mediaType\":\"x\"}]}");
    assertTrue(assertThrows(ImageException.class, () -> OciLayout.open(dir)).getMessage()
        .contains("a descriptor needs mediaType, digest and size"));

    Files.delete(dir.resolve("index.json"));
    writer = OciLayoutWriter.open(dir);
    Descriptor garbage = writer.addBlob(MediaTypes.OCI_MANIFEST, "not json".getBytes(StandardCharsets.UTF_8));
    writer.tag(garbage, "bad", null);
    assertTrue(assertThrows(ImageException.class, () -> OciLayout.open(dir).image("bad", AMD64)).getMessage()
        .startsWith("blob " + garbage.digest() + " is malformed JSON"));

    assertEquals(dir.resolve("nowhere") + " is not an OCI image layout: oci-layout is missing",
        assertThrows(ImageException.class, () -> OciLayout.open(dir.resolve("nowhere"))).getMessage());
  }

  @Test
  void unknownAndZstdLayerTypes() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor layer = writer.addBlob("application/x-weird", new byte[] {1});
    Descriptor config = writer.writeConfig(ImageConfig.of(AMD64, List.of()), List.of());
    writer.tag(writer.writeManifest(config, List.of(layer)), "weird", AMD64);
    assertTrue(assertThrows(ImageException.class, () -> OciLayout.open(dir).image("weird", AMD64)).getMessage()
        .endsWith("unsupported layer media type 'application/x-weird'"));

    Descriptor zstd = writer.addBlob(MediaTypes.OCI_LAYER_TAR_ZSTD, new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
    writer.tag(writer.writeManifest(config, List.of(zstd)), "zstd", AMD64);
    OciImage image = OciLayout.open(dir).image("zstd", AMD64);
    assertTrue(assertThrows(ImageException.class, () -> ImageApplier.apply(image, new RecordingSink(), ProgressListener.NONE))
            .getMessage().startsWith("layer " + zstd.digest() + " is corrupt"));

    Descriptor artifact = writer.addBlob("application/vnd.cncf.helm.config.v1+json", "{}".getBytes(StandardCharsets.UTF_8));
    writer.tag(writer.writeManifest(artifact, List.of()), "helm", null);
    assertEquals("image 'helm' is not a container image: config media type 'application/vnd.cncf.helm.config.v1+json'",
        assertThrows(ImageException.class, () -> OciLayout.open(dir).image("helm", AMD64)).getMessage());
  }

  @Test
  void gzipLayerMislabelledAsTarIsStillRead() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor layer = writer.addBlob(MediaTypes.OCI_LAYER_TAR, TarBuilder.gzip(tar("m", "magic")));
    Descriptor config = writer.writeConfig(ImageConfig.of(AMD64, List.of()), List.of());
    writer.tag(writer.writeManifest(config, List.of(layer)), "m", AMD64);
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(OciLayout.open(dir).image("m", AMD64), sink, ProgressListener.NONE);
    assertEquals("magic", sink.get("/m").text());
  }

  @Test
  void outOfOrderOpaqueWhiteoutIsAppliedWhiteoutsFirst() throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Descriptor manifest = image(writer, AMD64, tar("d/lower", "l"),
        new TarBuilder().file("d/upper", 0644, "u").file("d/.wh..wh..opq", 0644, "").build());
    writer.tag(manifest, "t", AMD64);
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(OciLayout.open(dir).image("t", AMD64), sink, ProgressListener.NONE);
    assertNull(sink.get("/d/lower"));
    assertEquals("u", sink.get("/d/upper").text());
  }
}
