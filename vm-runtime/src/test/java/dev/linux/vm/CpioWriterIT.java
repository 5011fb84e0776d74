package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GNU cpio, the reference reader, lists and extracts what {@link CpioWriter} wrote. */
class CpioWriterIT {
  @TempDir Path dir;

  @Test
  void cpioListsAndExtractsOurArchive() throws Exception {
    Path archive = dir.resolve("test.cpio");
    byte[] blob = new byte[12_345];
    new java.util.Random(7).nextBytes(blob);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive));
        CpioWriter cpio = new CpioWriter(out)) {
      cpio.directory("lib", 0755);
      cpio.directory("lib/modules", 0755);
      cpio.file("init", 0755, "#!/bin/true\n".getBytes(StandardCharsets.UTF_8));
      cpio.file("lib/modules/a.ko", 0644, blob);
      cpio.file("lib/modules/load.order", 0644, "a.ko\n".getBytes(StandardCharsets.UTF_8));
      cpio.symlink("lib/link", "modules/a.ko");
    }
    List<String> listed = run(dir, "cpio", "-t", "-F", archive.toString()).lines().toList();
    assertEquals(
        List.of("lib", "lib/modules", "init", "lib/modules/a.ko", "lib/modules/load.order", "lib/link"),
        listed);

    Path out = Files.createDirectory(dir.resolve("x"));
    run(out, "cpio", "-i", "-d", "--no-absolute-filenames", "-F", archive.toString());
    assertEquals(List.of(blob.length), List.of(Files.readAllBytes(out.resolve("lib/modules/a.ko")).length));
    assertEquals(java.util.Arrays.hashCode(blob), java.util.Arrays.hashCode(Files.readAllBytes(out.resolve("lib/modules/a.ko"))));
    assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("init"))));
    assertEquals(Path.of("modules/a.ko"), Files.readSymbolicLink(out.resolve("lib/link")));
  }

  static String run(Path cwd, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    if (code != 0) {
      throw new AssertionError(String.join(" ", command) + " failed (" + code + "): " + output);
    }
    // GNU cpio reports the block count on stderr; drop it from the listing.
    return output.lines().filter(l -> !l.matches("\\d+ blocks?")).reduce("", (a, b) -> a + b + "\n");
  }
}
