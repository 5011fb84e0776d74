package dev.linux.env.image;

import dev.linux.env.testing.BusyboxImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds the busybox test image from the host's busybox-static and checks it with skopeo and umoci. */
class BusyboxImageIT {

  @TempDir Path tmp;

  @Test
  void layoutIsValidForReferenceTools() throws Exception {
    Path layout = tmp.resolve("layout");
    Descriptor manifest = BusyboxImage.build(layout, BusyboxImage.DEFAULT_TAG);
    assertTrue(Files.isExecutable(Path.of("/usr/bin/skopeo")), "skopeo is not installed (bin/test installs it)");

    JsonNode inspect = OciLayout.JSON.readTree(
        ToolRunner.run("skopeo", "inspect", "oci:" + layout + ":" + BusyboxImage.DEFAULT_TAG));
    assertEquals(manifest.digest().toString(), inspect.path("Digest").asText());
    assertEquals(Platform.host().architecture(), inspect.path("Architecture").asText());
    assertEquals("linux", inspect.path("Os").asText());
    assertEquals(1, inspect.path("Layers").size());

    // skopeo re-writes the image into a layout of its own; ours must read that back.
    Path copy = tmp.resolve("copy");
    ToolRunner.run("skopeo", "copy", "--quiet", "oci:" + layout + ":" + BusyboxImage.DEFAULT_TAG, "oci:" + copy + ":copied");
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(OciLayout.open(copy).image("copied"), sink, ProgressListener.NONE);
    assertEquals(Files.size(Path.of("/bin/busybox")), sink.get("/bin/busybox").size);
    assertEquals("busybox", sink.get("/bin/sh").target);

    if (Files.isExecutable(Path.of("/usr/bin/umoci"))) {
      String stat = ToolRunner.run("umoci", "stat", "--image", layout + ":" + BusyboxImage.DEFAULT_TAG);
      assertTrue(stat.contains("LAYER"), stat);
      Path bundle = tmp.resolve("bundle");
      ToolRunner.run("umoci", "unpack", "--rootless", "--image", layout + ":" + BusyboxImage.DEFAULT_TAG, bundle.toString());
      assertTrue(Files.isSymbolicLink(bundle.resolve("rootfs/bin/sh")));
      assertEquals(Files.size(Path.of("/bin/busybox")), Files.size(bundle.resolve("rootfs/bin/busybox")));
    }
  }
}
