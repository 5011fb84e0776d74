package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bootstraps the host's release for real (a minute or two) and reads the result back. */
class DebianBootstrapIT {

  @TempDir Path tmp;

  @Test
  void bootstrapsAReadableImage() throws Exception {
    assertTrue(Files.isExecutable(Path.of("/usr/bin/mmdebstrap")), "mmdebstrap is not installed (bin/test installs it)");
    DebianBootstrap bootstrap = DebianBootstrap.forThisHost();
    Path layoutDir = tmp.resolve("images");

    Instant start = Instant.now();
    Descriptor manifest = bootstrap.bootstrap(layoutDir);
    System.out.println("bootstrap of " + bootstrap.tag() + " took " + Duration.between(start, Instant.now()).toMillis() + " ms");

    OciLayout layout = OciLayout.open(layoutDir);
    assertTrue(layout.hasTag(bootstrap.tag()), layout.tags().toString());
    OciImage image = layout.image(bootstrap.tag());
    assertEquals(manifest.digest(), image.manifest().digest());
    assertEquals(java.util.List.of("/bin/bash"), image.config().cmd());

    RecordingSink sink = new RecordingSink();
    start = Instant.now();
    ImageApplier.apply(image, sink, ProgressListener.NONE);
    System.out.println("applying " + sink.nodes.size() + " entries (" + image.compressedSize() + " bytes compressed) took "
        + Duration.between(start, Instant.now()).toMillis() + " ms");

    RecordingSink.Node bash = sink.get("/usr/bin/bash") != null ? sink.get("/usr/bin/bash") : sink.get("/bin/bash");
    assertNotNull(bash, "bash is in the image");
    assertTrue(bash.size > 100_000);
    RecordingSink.Node bin = sink.get("/bin");
    assertTrue(bin.kind == RecordingSink.Kind.DIRECTORY || "usr/bin".equals(bin.target), "/bin is a directory or usr/bin");
    assertNotNull(sink.get("/etc/os-release"), "/etc/os-release");
    RecordingSink.Node osRelease = sink.get("/usr/lib/os-release");
    assertTrue(osRelease.text().contains("VERSION_CODENAME=" + bootstrap.tag().substring(bootstrap.tag().indexOf(':') + 1)));

    if (Files.isExecutable(Path.of("/usr/bin/skopeo"))) {
      String out = ToolRunner.run("skopeo", "inspect", "oci:" + layoutDir + ":" + bootstrap.tag());
      assertTrue(out.contains("\"Os\": \"linux\""), out);
    }
  }
}
