package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.image.Compression;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.Platform;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code linux image …}, {@code linux import} and {@code create --image ARCHIVE} as a user runs them (no VM boots). */
class ImageCliIT {

  @TempDir Path work;
  CliProcess cli;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(work.resolve("kernel"));
    cli = new CliProcess(System.getProperty("java.class.path"), work.resolve("home"), work.resolve("kernel"), null)
        .env("DOCKER_CONFIG", work.resolve("docker").toString());
  }

  private static void assertOneLineError(CliProcess.Result r, int exit, String start) {
    assertEquals(exit, r.exit(), r.toString());
    assertEquals(1, r.stderr().strip().lines().count(), r.toString());
    assertTrue(r.stderr().startsWith("linux: " + start), r.toString());
  }

  @Test
  void badReferencesAndUnreachableRegistries() throws Exception {
    assertOneLineError(cli.run("image", "pull", "Not/Valid!"), 2, "invalid image reference 'Not/Valid!'");
    assertOneLineError(cli.run("image", "pull", "ftp://x/y"), 2, "invalid image reference 'ftp://x/y': unsupported transport 'ftp://'");
    assertOneLineError(cli.run("image", "pull", "oci:/nowhere"), 2, "cannot pull 'oci:/nowhere': not a registry reference");
    assertOneLineError(cli.run("image", "pull", "--platform", "linux//", "busybox"), 2, "invalid platform 'linux//'");
    assertOneLineError(cli.run("create", "x", "--image", "nosuch://img"), 2, "invalid image reference");
    CliProcess.Result down = cli.run("image", "pull", "127.0.0.1:1/nothing:here");
    assertOneLineError(down, 6, "manifest here of 127.0.0.1:1/nothing: cannot reach 127.0.0.1:1");
  }

  @Test
  void loadListInspectRemoveAndCreateFromArchives() throws Exception {
    Path archive = ociArchive("demo:1");
    CliProcess.Result load = cli.run("image", "load", archive.toString());
    assertEquals(0, load.exit(), load.toString());
    assertTrue(load.out().startsWith("loaded demo:1 sha256:"), load.toString());

    CliProcess.Result ls = cli.run("image", "ls", "--json");
    assertEquals(0, ls.exit(), ls.toString());
    assertTrue(ls.out().contains("\"name\" : \"demo:1\""), ls.out());
    CliProcess.Result inspect = cli.run("image", "inspect", "demo:1");
    assertEquals(0, inspect.exit(), inspect.toString());
    assertTrue(inspect.out().contains("\"mediaType\" : \"application/vnd.oci.image.layer.v1.tar+zstd\""), inspect.out());

    CliProcess.Result create = cli.run("create", "fromarchive", "--disk", "64M", "--image", "oci-archive:" + archive);
    assertEquals(0, create.exit(), create.toString());
    assertTrue(Files.isRegularFile(work.resolve("home/environments/fromarchive/disk.ext4")));

    CliProcess.Result rm = cli.run("image", "rm", "demo:1");
    assertEquals(0, rm.exit(), rm.toString());
    assertOneLineError(cli.run("image", "rm", "demo:1"), 3, "no image 'demo:1' in the local image store");
    assertOneLineError(cli.run("image", "inspect", "demo:1"), 3, "no image 'demo:1'");
    assertEquals(0, cli.run("image", "prune").exit());
  }

  @Test
  void badArchivesAndTarballs() throws Exception {
    assertOneLineError(cli.run("image", "load", work.resolve("missing.tar").toString()), 3, "no such file");
    Path dotdot = work.resolve("dotdot.tar");
    Files.write(dotdot, tar("../escape", "x"));
    assertOneLineError(cli.run("image", "load", dotdot.toString()), 2, "archive dotdot.tar: entry '../escape' escapes");
    byte[] full = Files.readAllBytes(ociArchive("t:1"));
    Path truncated = work.resolve("truncated.tar");
    Files.write(truncated, Arrays.copyOf(full, full.length - 1200));
    assertOneLineError(cli.run("image", "load", truncated.toString()), 2, "archive truncated.tar is truncated");
    assertOneLineError(cli.run("create", "t", "--image", "docker-archive:" + dotdot), 2, "archive dotdot.tar");

    Path evil = work.resolve("evil.tar");
    Files.write(evil, tar("../../etc/passwd", "root::0:0"));
    CliProcess.Result imported = cli.run("import", "evil", evil.toString());
    assertEquals(2, imported.exit(), imported.toString());
    assertTrue(imported.stderr().contains("../../etc/passwd"), imported.toString());
    assertEquals("[ ]", cli.run("list", "--json").out().strip());
  }

  @Test
  void importsCompressedRootfsTarballsFromFilesAndStdin() throws Exception {
    byte[] rootfs = tar("etc/hostname", "imported\n");
    ByteArrayOutputStream xz = new ByteArrayOutputStream();
    try (var out = new org.tukaani.xz.XZOutputStream(xz, new org.tukaani.xz.LZMA2Options())) {
      out.write(rootfs);
    }
    Path file = work.resolve("rootfs.tar.xz");
    Files.write(file, xz.toByteArray());
    CliProcess.Result fromFile = cli.run("import", "fromxz", "--disk", "64M", file.toString());
    assertEquals(0, fromFile.exit(), fromFile.toString());
    CliProcess.Result fromStdin = cli.run(com.github.luben.zstd.Zstd.compress(rootfs), "import", "fromzstd", "--disk", "64M", "-");
    assertEquals(0, fromStdin.exit(), fromStdin.toString());
    String list = cli.run("list").out();
    assertTrue(list.contains("fromxz") && list.contains("fromzstd"), list);
    assertTrue(cli.run("image", "ls", "--json").out().strip().equals("[ ]"), "the import's temporary image is gone");
  }

  private Path ociArchive(String tag) throws IOException {
    Path layout = work.resolve("layout-" + tag.replace(':', '-'));
    OciLayoutWriter writer = OciLayoutWriter.open(layout);
    Platform platform = Platform.host();
    OciLayoutWriter.LayerBlob layer = writer.addLayer(new ByteArrayInputStream(tar("etc/demo", "demo")), Compression.ZSTD);
    Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), List.of(layer.diffId()));
    writer.tag(writer.writeManifest(config, List.of(layer.descriptor())), tag, platform);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes); var files = Files.walk(layout)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        TarArchiveEntry e = new TarArchiveEntry(layout.relativize(p).toString());
        e.setSize(Files.size(p));
        out.putArchiveEntry(e);
        out.write(Files.readAllBytes(p));
        out.closeArchiveEntry();
      }
    }
    Path archive = work.resolve(tag.replace(':', '-') + ".oci.tar");
    Files.write(archive, bytes.toByteArray());
    return archive;
  }

  private static byte[] tar(String name, String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      byte[] body = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry(name, true);
      e.setSize(body.length);
      e.setMode(0644);
      out.putArchiveEntry(e);
      out.write(body);
      out.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }
}
