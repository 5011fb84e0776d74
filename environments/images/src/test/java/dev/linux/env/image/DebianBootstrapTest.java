package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianBootstrapTest {

  private static final Platform AMD64 = new Platform("linux", "amd64", null);

  @TempDir Path tmp;

  @Test
  void commandAsRoot() {
    var host = new DebianBootstrap.Host("debian", "bookworm", Path.of("/etc/apt/sources.list.d/debian.sources"), true, AMD64);
    assertEquals(List.of("mmdebstrap", "--variant=minbase", "--architectures=amd64",
            "--include=ca-certificates,sudo,less,procps,iproute2,netbase,bash-completion,nano",
            "--format=tar", "bookworm", "/out/rootfs.tar", "/etc/apt/sources.list.d/debian.sources"),
        DebianBootstrap.mmdebstrapCommand(host, DebianBootstrap.EXTRA_PACKAGES, Path.of("/out/rootfs.tar")));
  }

  @Test
  void commandAsUserUsesUnshare() {
    var host = new DebianBootstrap.Host("debian", "trixie", Path.of("/etc/apt/sources.list"), false,
        new Platform("linux", "arm64", null));
    assertEquals(List.of("mmdebstrap", "--variant=minbase", "--mode=unshare", "--architectures=arm64",
            "--format=tar", "trixie", "o.tar", "/etc/apt/sources.list"),
        DebianBootstrap.mmdebstrapCommand(host, List.of(), Path.of("o.tar")));
  }

  @Test
  void detectsHostFromOsReleaseAndSources() throws IOException {
    Path etc = tmp.resolve("etc");
    Files.createDirectories(etc.resolve("apt/sources.list.d"));
    Files.writeString(etc.resolve("os-release"), """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        ID=debian
        VERSION_CODENAME=bookworm
        """);
    Files.writeString(etc.resolve("apt/sources.list"), "deb http://example.invalid/debian bookworm main\n");
    var host = DebianBootstrap.Host.detect(etc, false, AMD64);
    assertEquals("bookworm", host.suite());
    assertEquals(etc.resolve("apt/sources.list"), host.sources());
    assertEquals("debian:bookworm", new DebianBootstrap(CommandRunner.system(), host).tag());

    Files.writeString(etc.resolve("apt/sources.list.d/debian.sources"), "Types: deb\n");
    assertEquals(etc.resolve("apt/sources.list.d/debian.sources"), DebianBootstrap.Host.detect(etc, true, AMD64).sources());

    Files.writeString(etc.resolve("os-release"), "ID=debian\n");
    assertTrue(assertThrows(ImageException.class, () -> DebianBootstrap.Host.detect(etc, true, AMD64)).getMessage()
        .endsWith("has no VERSION_CODENAME"));
  }

  @Test
  void parsesQuotedOsReleaseValues() {
    assertEquals(Map.of("A", "x y", "B", "z", "C", "plain"),
        DebianBootstrap.parseOsRelease(List.of("# comment", "A=\"x y\"", "B='z'", "C=plain", "")));
  }

  @Test
  void storesTheTarballAsATaggedImage() throws IOException {
    var host = new DebianBootstrap.Host("debian", "bookworm", Path.of("/etc/apt/sources.list"), true, AMD64);
    List<List<String>> commands = new ArrayList<>();
    CommandRunner fake = (command, workingDir, log, timeout) -> {
      commands.add(command);
      Path out = Path.of(command.get(command.size() - 2));
      Files.write(out, new TarBuilder().dir("bin", 0755).file("bin/bash", 0755, "ELF").build());
    };
    Path layoutDir = tmp.resolve("images");
    new DebianBootstrap(fake, host).bootstrap(layoutDir);
    assertEquals(1, commands.size());

    OciImage image = OciLayout.open(layoutDir).image("debian:bookworm", AMD64);
    assertEquals(List.of("/bin/bash"), image.config().cmd());
    assertEquals("amd64", image.config().architecture());
    assertTrue(image.config().env().getFirst().startsWith("PATH="));
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(image, sink, ProgressListener.NONE);
    assertEquals("ELF", sink.get("/bin/bash").text());
    try (var files = Files.list(layoutDir)) {
      assertEquals(List.of("blobs", "index.json", "oci-layout"),
          files.map(p -> p.getFileName().toString()).sorted().toList(), "no work directory left behind");
    }
  }

  @Test
  void failingCommandLeavesNoImage() throws IOException {
    var host = new DebianBootstrap.Host("debian", "bookworm", Path.of("/etc/apt/sources.list"), true, AMD64);
    CommandRunner failing = (command, workingDir, log, timeout) -> {
      throw new ImageException("mmdebstrap failed with exit status 1: E: cannot reach mirror");
    };
    Path layoutDir = tmp.resolve("images");
    assertThrows(ImageException.class, () -> new DebianBootstrap(failing, host).bootstrap(layoutDir));
    assertEquals(List.of(), List.copyOf(OciLayout.open(layoutDir).tags()));
  }

  @Test
  void systemRunnerReportsFailuresWithTheLastLogLine() throws IOException {
    ImageException e = assertThrows(ImageException.class, () -> CommandRunner.system()
        .run(List.of("sh", "-c", "echo first; echo 'E: last words' >&2; exit 3"), tmp, tmp.resolve("log"),
            java.time.Duration.ofSeconds(30)));
    assertEquals("sh failed with exit status 3: E: last words", e.getMessage());
  }
}
