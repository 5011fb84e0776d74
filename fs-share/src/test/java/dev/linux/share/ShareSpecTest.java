package dev.linux.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShareSpecTest {
  @TempDir Path dir;

  @Test
  void parsesHostGuestAndMode() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path real = src.toRealPath();
    assertEquals(new ShareSpec(real, real.toString(), false), ShareSpec.parse(src.toString()));
    assertEquals(new ShareSpec(real, "/work", false), ShareSpec.parse(src + ":/work"));
    assertEquals(new ShareSpec(real, "/work", true), ShareSpec.parse(src + ":/work:ro"));
    assertEquals(new ShareSpec(real, "/work", false), ShareSpec.parse(src + ":/work:rw"));
    assertEquals(new ShareSpec(real, real.toString(), true), ShareSpec.parse(src + ":ro"));
    assertEquals(new ShareSpec(real, "/a b/c", false), ShareSpec.parse(src + "://a b//c/"));
  }

  @Test
  void roundTripsThroughToString() throws Exception {
    ShareSpec spec = ShareSpec.parse(Files.createDirectories(dir.resolve("x")) + ":/mnt/x:ro");
    assertEquals(spec, ShareSpec.parse(spec.toString()));
  }

  @Test
  void hostPathIsResolvedToItsRealPath() throws Exception {
    Path target = Files.createDirectories(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    ShareSpec spec = ShareSpec.samePath(link);
    assertEquals(target.toRealPath(), spec.hostPath());
    assertEquals(link.toString(), spec.guestPath());
  }

  @Test
  void refusesBadInputWithOneLine() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(dir.resolve("file"), "x");
    String[] bad = {
      "", "relative", src + ":relative", src + ":", src + "::ro", 
      dir.resolve("missing").toString(), dir.resolve("file").toString(), src + "/../src",
      src + ":/a/../b", src + ":/a/./b", src + ":/", src + ":/proc", src + ":/proc/x", src + ":/sys",
      src + ":/dev/x", src + ":/run", src + ":/run/user/1", src + ":/tmp", 
      src + ":/etc", src + ":/usr", src + ":/usr/", ":/work",
    };
    for (String text : bad) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ShareSpec.parse(text), text);
      assertTrue(e.getMessage().startsWith("invalid share '" + text + "': "), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void directoriesBelowSystemDirectoriesAreAllowed() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    assertEquals("/usr/local/src", ShareSpec.parse(src + ":/usr/local/src").guestPath());
    assertEquals("/var/www", ShareSpec.parse(src + ":/var/www").guestPath());
    assertEquals("/home", ShareSpec.parse(src + ":/home").guestPath());
    assertEquals("/tmp/x", ShareSpec.parse(src + ":/tmp/x").guestPath());
    assertEquals("/work:rx", ShareSpec.parse(src + ":/work:rx").guestPath());
  }

  @Test
  void constructorValidatesToo() {
    assertThrows(IllegalArgumentException.class, () -> new ShareSpec(Path.of("rel"), "/x", false));
    assertThrows(IllegalArgumentException.class, () -> new ShareSpec(dir, "x", false));
    assertThrows(IllegalArgumentException.class, () -> new ShareSpec(dir, "/tmp", false));
    assertThrows(NullPointerException.class, () -> new ShareSpec(null, "/x", false));
  }
}
