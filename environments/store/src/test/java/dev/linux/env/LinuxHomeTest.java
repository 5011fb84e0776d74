package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxHomeTest {

  @TempDir Path runtime;

  @Test
  void makePrivateTightensWhatAnOlderVersionLeftOpen() throws Exception {
    Path data = runtime.resolve("data");
    LinuxHome home = new LinuxHome(data, runtime.resolve("config"), runtime.resolve("run"));
    Path env = Files.createDirectories(home.files(EnvName.of("dev")).dir());
    Path disk = Files.writeString(env.resolve("disk.ext4"), "secret");
    Path script = Files.writeString(env.resolve("hook"), "#!/bin/sh");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-r--r--"));
    for (Path dir : List.of(data, home.environments(), env)) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.createDirectories(home.config());
    Path conf = Files.writeString(home.config().resolve("linux.conf"), "cpus = 2\n");
    Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-rw-r--"));
    Path outside = Files.writeString(runtime.resolve("outside"), "not ours to change");
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
    Path link = Files.createSymbolicLink(env.resolve("link"), outside);

    home.makePrivate();

    for (Path dir : List.of(data, home.environments(), env)) {
      assertEquals("rwx------", mode(dir), dir.toString());
    }
    assertEquals("rw-------", mode(disk));
    assertEquals("rwx------", mode(script), "the owner keeps what they had");
    assertEquals("rw-------", mode(conf));
    assertEquals("rw-r--r--", mode(outside), "links are not followed");
    assertTrue(Files.isSymbolicLink(link));
  }

  @Test
  void makePrivateCreatesNothing() throws Exception {
    LinuxHome home = new LinuxHome(runtime.resolve("fresh/data"), runtime.resolve("c"), runtime.resolve("r"));
    home.makePrivate();
    assertTrue(!Files.exists(runtime.resolve("fresh")), "a command that needs no data makes none");
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void xdgDirectoriesByDefault() {
    LinuxHome home = LinuxHome.fromEnvironment(Map.of("HOME", "/home/u", "XDG_RUNTIME_DIR", runtime.toString()));
    assertEquals(Path.of("/home/u/.local/share/linux"), home.data());
    assertEquals(Path.of("/home/u/.config/linux"), home.config());
    assertEquals(runtime.resolve("linux"), home.runtime());
    assertEquals(Path.of("/home/u/.local/share/linux/environments/dev/disk.ext4"), home.files(EnvName.of("dev")).disk());
  }

  @Test
  void linuxHomeIsAnIndependentInstance() {
    LinuxHome a = LinuxHome.fromEnvironment(Map.of("HOME", "/home/u", "LINUX_HOME", "/srv/a", "XDG_RUNTIME_DIR", runtime.toString()));
    LinuxHome b = LinuxHome.fromEnvironment(Map.of("HOME", "/home/u", "LINUX_HOME", "/srv/b", "XDG_RUNTIME_DIR", runtime.toString()));
    assertEquals(Path.of("/srv/a"), a.data());
    assertEquals(Path.of("/srv/a/config"), a.config());
    assertNotEquals(a.runtime(), b.runtime());
    assertTrue(a.runtime().startsWith(runtime));
    // Unix socket paths are short however long LINUX_HOME is.
    LinuxHome deep = LinuxHome.fromEnvironment(Map.of("HOME", "/h", "LINUX_HOME", "/x".repeat(100), "XDG_RUNTIME_DIR", runtime.toString()));
    assertTrue(deep.runtime().toString().length() < runtime.toString().length() + 20);
  }
}
