package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.ShareChanges;
import dev.linux.share.ShareSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PathCommandTest {

  @TempDir Path dir;

  @Test
  void translatesBothWaysThroughTheLongestShare() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home")).toRealPath();
    Path data = Files.createDirectories(home.resolve("data")).toRealPath();
    List<ShareSpec> shares = List.of(ShareSpec.samePath(home), new ShareSpec(data, "/srv/data", false));
    assertEquals(Optional.of(home + "/x"), PathCommand.translate(home + "/x", false, dir, shares));
    assertEquals(Optional.of("/srv/data/a/b"), PathCommand.translate("a/b", false, data, shares), "relative to the cwd");
    assertEquals(Optional.of(data + "/a"), PathCommand.translate("/srv/data/a", true, dir, shares));
    assertEquals(Optional.empty(), PathCommand.translate("/etc/passwd", false, dir, shares));
    assertEquals(Optional.empty(), PathCommand.translate("/etc", true, dir, shares));
    assertThrows(IllegalArgumentException.class, () -> PathCommand.translate("rel", true, dir, shares));
  }

  @Test
  void optionsParse() {
    PathCommand command = new PathCommand();
    new CommandLine(command).parseArgs("--to-host", "dev", "/x");
    assertTrue(command.direction.toHost);
    assertEquals(List.of("dev", "/x"), command.words);
    PathCommand plain = new PathCommand();
    new CommandLine(plain).parseArgs("/x");
    assertEquals(List.of("/x"), plain.words);
    CommandLine both = new CommandLine(new PathCommand());
    both.setErr(new PrintWriter(new StringWriter()));
    assertEquals(2, both.execute("--to-host", "--to-guest", "/x"), "mutually exclusive: a usage error");
  }

  @Test
  void shareOptionsAreCheckedBeforeAnythingChanges() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a"));
    ShareChanges changes = ShareOptions.changes(Boolean.FALSE, List.of(a + ":/a:ro"), List.of("/b"));
    assertEquals(Optional.of(false), changes.home());
    assertEquals(List.of(new ShareSpec(a, "/a", true)), changes.add());
    for (List<String> bad : List.of(List.of("relative"), List.of(dir.resolve("missing").toString()),
        List.of(a + ":/proc/x"), List.of(a + ":/x", a + ":/x"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShareOptions.changes(null, bad, List.of()));
      assertTrue(e.getMessage().startsWith("invalid share"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ShareOptions.changes(null, List.of(), List.of("rel")));
  }
}
