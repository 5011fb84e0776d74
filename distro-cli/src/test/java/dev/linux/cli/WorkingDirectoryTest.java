package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.EnvName;
import dev.linux.share.ShareSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkingDirectoryTest {

  @TempDir Path dir;

  @Test
  void theCurrentDirectoryCarriesOverInsideAShareElseTheHomeWithANotice() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home"));
    Path project = Files.createDirectories(home.resolve("project/src"));
    Path data = Files.createDirectories(dir.resolve("data"));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    List<ShareSpec> shares = List.of(ShareSpec.samePath(home), new ShareSpec(data, "/data", true));
    EnvName env = EnvName.of("dev");

    assertEquals(new WorkingDirectory.Choice(project.toRealPath().toString(), Optional.empty()),
        WorkingDirectory.choose(null, project, shares, env));
    assertEquals("/data", WorkingDirectory.choose(null, data, shares, env).guestPath());
    WorkingDirectory.Choice outside = WorkingDirectory.choose(null, elsewhere, shares, env);
    assertEquals("", outside.guestPath(), "the user's home");
    assertTrue(outside.notice().orElseThrow().contains("is not shared with dev"), outside.toString());
    assertEquals(new WorkingDirectory.Choice("/srv", Optional.empty()), WorkingDirectory.choose("/srv", project, shares, env));
    assertEquals("", WorkingDirectory.choose(null, project, List.of(), env).guestPath());

    // Through a symbolic link: the real directory is what the share holds.
    Path link = Files.createSymbolicLink(dir.resolve("link"), project);
    assertEquals(project.toRealPath().toString(), WorkingDirectory.choose(null, link, shares, env).guestPath());
  }
}
