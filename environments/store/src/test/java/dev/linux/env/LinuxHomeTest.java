package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxHomeTest {

  @TempDir Path runtime;

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
