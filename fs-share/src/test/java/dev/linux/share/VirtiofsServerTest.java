package dev.linux.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    try (VirtiofsServer server = VirtiofsServer.start(List.of(), dir.resolve("run"), Path.of("/none"))) {
      assertTrue(server.exports().isEmpty());
      assertTrue(server.isAlive());
      assertFalse(server.onExit().isDone());
    }
  }
}
