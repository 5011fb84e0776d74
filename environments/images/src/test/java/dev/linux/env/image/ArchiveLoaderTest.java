package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveLoaderTest {

  private static final Platform AMD64 = new Platform("linux", "amd64", null);

  @TempDir Path dir;

  private Descriptor layoutImage(Path layout, String tag) throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(layout);
    byte[] tar = new TarBuilder().dir("./", 0755).file("./etc/hello", 0644, "hi").build();
    OciLayoutWriter.LayerBlob layer = writer.addLayer(new ByteArrayInputStream(tar), Compression.ZSTD);
    Descriptor config = writer.writeConfig(ImageConfig.of(AMD64, List.of("/bin/sh")), List.of(layer.diffId()));
    Descriptor manifest = writer.writeManifest(config, List.of(layer.descriptor()));
    writer.tag(manifest, tag, AMD64);
    return manifest;
  }

  /** Tars a directory tree (files only, relative names). */
  private static byte[] tarOf(Path root) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes); var files = Files.walk(root)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        TarArchiveEntry e = new TarArchiveEntry(root.relativize(p).toString());
        e.setSize(Files.size(p));
        out.putArchiveEntry(e);
        out.write(Files.readAllBytes(p));
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void loadsOciArchives() throws IOException {
    Descriptor manifest = layoutImage(dir.resolve("layout"), "debian:test");
    Path archive = dir.resolve("image.tar");
    Files.write(archive, tarOf(dir.resolve("layout")));
    ImageStore store = ImageStore.open(dir.resolve("store"));
    List<ArchiveLoader.Loaded> loaded = ArchiveLoader.load(archive, store, null);
    assertEquals(1, loaded.size());
    assertEquals(List.of("debian:test"), loaded.getFirst().tags());
    assertEquals(manifest.digest(), store.find("debian:test").orElseThrow().digest());
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(store.layout().image("debian:test", AMD64), sink, ProgressListener.NONE);
    assertEquals("hi", sink.get("/etc/hello").text());
  }

  @Test
  void loadsDockerArchives() throws IOException {
    Path save = dir.resolve("save");
    Files.createDirectories(save.resolve("abc"));
    byte[] layer = new TarBuilder().file("etc/os", 0644, "docker").build();
    Files.write(save.resolve("abc/layer.tar"), layer);
    Files.writeString(save.resolve("cfg.json"), "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.of(layer) + "\"]}}");
    Files.writeString(save.resolve("manifest.json"),
        "[{\"Config\":\"cfg.json\",\"RepoTags\":[\"example.com/app:1\"],\"Layers\":[\"abc/layer.tar\"]}]");
    Path archive = dir.resolve("docker.tar");
    Files.write(archive, TarBuilder.gzip(tarOf(save)));
    ImageStore store = ImageStore.open(dir.resolve("store"));
    List<ArchiveLoader.Loaded> loaded = ArchiveLoader.load(archive, store, null);
    assertEquals(List.of("example.com/app:1"), loaded.getFirst().tags());
    OciImage image = store.layout().image("example.com/app:1", AMD64);
    assertEquals(List.of("A=1"), image.config().env());
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(image, sink, ProgressListener.NONE);
    assertEquals("docker", sink.get("/etc/os").text());
  }

  @Test
  void refusesUnsafeTruncatedAndUnknownArchives() throws IOException {
    ImageStore store = ImageStore.open(dir.resolve("store"));
    Path dotdot = dir.resolve("dotdot.tar");
    Files.write(dotdot, new TarBuilder().file("../evil", 0644, "x").build());
    assertEquals("archive dotdot.tar: entry '../evil' escapes the archive with '..'",
        assertThrows(ImageException.class, () -> ArchiveLoader.load(dotdot, store, null)).getMessage());
    Path absolute = dir.resolve("abs.tar");
    Files.write(absolute, absoluteTar());
    assertEquals("archive abs.tar: entry '/etc/passwd' has an absolute path",
        assertThrows(ImageException.class, () -> ArchiveLoader.load(absolute, store, null)).getMessage());

    layoutImage(dir.resolve("layout"), "x:1");
    byte[] full = tarOf(dir.resolve("layout"));
    Path truncated = dir.resolve("truncated.tar");
    Files.write(truncated, Arrays.copyOf(full, full.length / 2));
    String message = assertThrows(ImageException.class, () -> ArchiveLoader.load(truncated, store, null)).getMessage();
    assertTrue(message.startsWith("archive truncated.tar is truncated"), message);

    Path other = dir.resolve("other.tar");
    Files.write(other, new TarBuilder().file("hello.txt", 0644, "x").build());
    assertTrue(assertThrows(ImageException.class, () -> ArchiveLoader.load(other, store, null)).getMessage()
        .endsWith("is neither an OCI archive (no oci-layout) nor a docker archive (no manifest.json)"));
    assertTrue(store.list().isEmpty());
  }

  private static byte[] absoluteTar() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry e = new TarArchiveEntry("x", true);
      e.setName("/etc/passwd");
      byte[] body = "root".getBytes(StandardCharsets.UTF_8);
      e.setSize(body.length);
      out.putArchiveEntry(e);
      out.write(body);
      out.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }
}
