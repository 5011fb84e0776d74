package dev.linux.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathTranslatorTest {
  @TempDir Path dir;

  @Test
  void longestPrefixWinsBothWays() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home")).toRealPath();
    Path data = Files.createDirectories(home.resolve("data"));
    PathTranslator t =
        new PathTranslator(
            List.of(ShareSpec.samePath(home), new ShareSpec(data, "/data", true)));
    assertEquals(Optional.of(home + "/src/x"), t.toGuest(home.resolve("src/x")));
    assertEquals(Optional.of(home.toString()), t.toGuest(home));
    assertEquals(Optional.of("/data"), t.toGuest(data));
    assertEquals(Optional.of("/data/a/b"), t.toGuest(data.resolve("a/b")));
    assertEquals(Optional.of(data.resolve("a")), t.toHost("/data/a"));
    assertEquals(Optional.of(data), t.toHost("/data"));
    assertEquals(Optional.of(home.resolve("src")), t.toHost(home + "/src"));
    // the share inside the home is reached through the home's share on the guest side too
    assertEquals(Optional.of(data.resolve("z")), t.toHost(home + "/data/z"));
  }

  @Test
  void prefixMatchesWholeComponentsOnly() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a")).toRealPath();
    PathTranslator t = new PathTranslator(List.of(new ShareSpec(a, "/mnt/a", false)));
    assertEquals(Optional.empty(), t.toGuest(Path.of(a + "b")));
    assertEquals(Optional.empty(), t.toHost("/mnt/ab"));
    assertEquals(Optional.of("/mnt/a/x"), t.toGuest(Path.of(a + "//x/./")));
  }

  @Test
  void pathsOutsideEverySharefail() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a")).toRealPath();
    PathTranslator t = new PathTranslator(List.of(ShareSpec.samePath(a)));
    assertEquals(Optional.empty(), t.toGuest(Path.of("/etc")));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.requireGuest(Path.of("/etc")));
    assertEquals("/etc is not in a directory shared with the environment", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.requireHost("/etc"));
    assertThrows(IllegalArgumentException.class, () -> t.toGuest(Path.of(a + "/../x")));
    assertThrows(IllegalArgumentException.class, () -> t.toHost("relative"));
    assertEquals(Optional.empty(), new PathTranslator(List.of()).toHost("/x"));
  }
}
