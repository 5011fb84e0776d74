package dev.linux.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtiofsServerTest {
  @TempDir Path dir;

  @Test
  void helperCommandForAReadOnlyRootlessShare() throws Exception {
    ShareSpec share = new ShareSpec(dir, "/data", true);
    Path real = dir.toRealPath();
    var export = new VirtiofsServer.Export("fs1", Path.of("/run/u/fs1.sock"), share);
    List<String> cmd =
        VirtiofsServer.command(
            Path.of("/run/u/sharehelper"), Path.of("/usr/lib/qemu/virtiofsd"), export,
            List.of("-uidmap", "0 1 1", "-gidmap", "0 2 1"));
    assertEquals(
        List.of(
            "/run/u/sharehelper", "-socket", "/run/u/fs1.sock", "-source", real.toString(),
            "-readonly", "-uidmap", "0 1 1", "-gidmap", "0 2 1", "--",
            "/usr/lib/qemu/virtiofsd", "--fd=3", "-o", "source=" + real, "-o", "sandbox=namespace",
            "-o", "announce_submounts", "-o", "cache=auto", "-o", "no_xattr"),
        cmd);
  }

  @Test
  void writableShareAsRootHasNoNamespaceArguments() {
    var export = new VirtiofsServer.Export("fs0", Path.of("/r/fs0.sock"), new ShareSpec(dir, "/d", false));
    List<String> cmd = VirtiofsServer.command(Path.of("/h"), Path.of("/v"), export, List.of());
    assertFalse(cmd.contains("-readonly"));
    assertFalse(cmd.contains("-uidmap"));
    assertEquals("--", cmd.get(5));
  }

  @Test
  void noSharesStartsNothing() throws Exception {
    try (VirtiofsServer server = VirtiofsServer.start(List.of(), dir.resolve("run"), List.of(), Path.of("/none"))) {
      assertTrue(server.exports().isEmpty());
      assertTrue(server.isAlive());
      assertFalse(server.onExit().isDone());
    }
  }

  @Test
  void linuxDirectoriesInsideTheShareAreHiddenAsRealPaths() throws Exception {
    Path realHome = Files.createDirectories(dir.resolve("disk/home/u")).toRealPath();
    Path linkedHome = Files.createSymbolicLink(dir.resolve("home-link"), realHome);
    Path data = Files.createDirectories(realHome.resolve(".local/share/linux"));
    Path config = Files.createDirectories(realHome.resolve(".config/linux"));
    Path elsewhere = Files.createDirectories(dir.resolve("var/lib/linux")).toRealPath();
    ShareSpec home = ShareSpec.samePath(linkedHome);
    assertEquals(realHome, home.hostPath());
    // The data directory named through the link, the config directly, a runtime outside, one missing.
    List<Path> hide = List.of(linkedHome.resolve(".local/share/linux"), config, elsewhere,
        linkedHome.resolve(".cache/linux-missing"), data);
    assertEquals(List.of(data, config), VirtiofsServer.hiddenIn(home.hostPath(), hide));
    // A share next to the linux directories hides nothing; one inside them hides itself whole.
    Path src = Files.createDirectories(realHome.resolve("src"));
    assertEquals(List.of(), VirtiofsServer.hiddenIn(src, hide));
    Path images = Files.createDirectories(data.resolve("images"));
    assertEquals(List.of(images), VirtiofsServer.hiddenIn(images, hide));
    // Only real containment counts: a sibling whose name starts like the share is outside it.
    Path homeish = Files.createDirectories(dir.resolve("disk/home/u2/linux")).toRealPath();
    assertEquals(List.of(), VirtiofsServer.hiddenIn(realHome, List.of(homeish)));
  }

  @Test
  void hiddenDirectoriesArePassedToTheHelper() {
    var export = new VirtiofsServer.Export("fs0", Path.of("/r/fs0.sock"), new ShareSpec(dir, "/d", false));
    List<String> cmd = VirtiofsServer.command(Path.of("/h"), Path.of("/v"), export,
        List.of(Path.of("/home/u/.local/share/linux"), Path.of("/home/u/.config/linux")), List.of());
    int sep = cmd.indexOf("--");
    assertEquals(List.of("-hide", "/home/u/.local/share/linux", "-hide", "/home/u/.config/linux"),
        cmd.subList(sep - 4, sep));
  }
}
