package dev.linux.env.image;

import dev.linux.env.testing.BusyboxImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusyboxImageTest {

  private static final Platform HOST = Platform.host();

  @TempDir Path tmp;

  /** A minimal 64-bit little-endian ELF header with the given program header types. */
  static byte[] elf(int... programHeaderTypes) {
    int phoff = 64;
    int phentsize = 56;
    ByteBuffer b = ByteBuffer.allocate(phoff + phentsize * programHeaderTypes.length + 16).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putShort(0x10, (short) 2); // ET_EXEC
    b.putLong(0x20, phoff);
    b.putShort(0x36, (short) phentsize);
    b.putShort(0x38, (short) programHeaderTypes.length);
    for (int i = 0; i < programHeaderTypes.length; i++) {
      b.putInt(phoff + i * phentsize, programHeaderTypes[i]);
    }
    return b.array();
  }

  @Test
  void recognisesStaticAndDynamicElf() throws IOException {
    Path staticElf = Files.write(tmp.resolve("static"), elf(6, 1, 1, 4));
    Path dynamicElf = Files.write(tmp.resolve("dynamic"), elf(6, 3, 1, 2));
    Path script = Files.writeString(tmp.resolve("script"), "#!/bin/sh\necho hi\n".repeat(10));
    assertTrue(BusyboxImage.isStaticElf(staticElf));
    assertFalse(BusyboxImage.isStaticElf(dynamicElf));
    assertFalse(BusyboxImage.isStaticElf(script));
  }

  @Test
  void buildsALayoutWithAppletsAndRootFiles() throws IOException {
    Path busybox = Files.write(tmp.resolve("busybox"), elf(1, 1));
    Path layout = tmp.resolve("layout");
    Descriptor first = BusyboxImage.build(layout, BusyboxImage.DEFAULT_TAG, busybox);
    Descriptor again = BusyboxImage.build(layout, BusyboxImage.DEFAULT_TAG, busybox);
    assertEquals(first.digest(), again.digest(), "reproducible");

    OciImage image = OciLayout.open(layout).image(BusyboxImage.DEFAULT_TAG, HOST);
    assertEquals(java.util.List.of("/bin/sh"), image.config().cmd());
    RecordingSink sink = new RecordingSink();
    ImageApplier.apply(image, sink, ProgressListener.NONE);
    assertEquals(Files.size(busybox), sink.get("/bin/busybox").size);
    assertEquals(0755, sink.get("/bin/busybox").meta.permissions());
    for (String applet : BusyboxImage.APPLETS) {
      assertEquals("busybox", sink.get("/bin/" + applet).target, applet);
    }
    assertEquals("root:x:0:0:root:/root:/bin/sh\n", sink.get("/etc/passwd").text());
    assertEquals(01777, sink.get("/tmp").meta.permissions());
    assertEquals(0700, sink.get("/root").meta.permissions());
    assertEquals(RecordingSink.Kind.DIRECTORY, sink.get("/proc").kind);
  }
}
