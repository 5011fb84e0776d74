package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GlobalConfigTest {

  @TempDir Path dir;

  LinuxHome home() {
    return new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run"));
  }

  GlobalConfig load(String text) throws Exception {
    Files.createDirectories(dir.resolve("config"));
    Files.writeString(dir.resolve("config").resolve(GlobalConfig.FILE_NAME), text);
    return GlobalConfig.load(home(), Map.of());
  }

  @Test
  void missingFileMeansBuiltInDefaults() {
    GlobalConfig config = GlobalConfig.load(home(), Map.of());
    assertEquals(2, config.cpus());
    assertEquals(ByteSize.parse("2G"), config.memory());
    assertEquals(ByteSize.parse("16G"), config.disk());
    assertEquals(60, config.idleTimeoutSeconds());
    assertEquals(EnvName.of("dev"), config.defaultEnvironment());
    assertEquals(CreateOptions.DEFAULT_IMAGE_ALIAS, config.defaultImage());
    assertEquals(Optional.empty(), config.kernel());
    assertEquals(GlobalConfig.Source.BUILT_IN, config.source(GlobalConfig.Key.MEMORY));
  }

  @Test
  void valuesCommentsAndQuotesAreRead() throws Exception {
    GlobalConfig config = load("""
        # defaults
        cpus = 4
          memory=8G   # a comment after the value
        disk = "64G"
        idleTimeout = -1

        defaultEnvironment = work
        defaultImage = oci:/images/x:latest
        kernel = /opt/kernel
        """);
    assertEquals(4, config.cpus());
    assertEquals(ByteSize.parse("8G"), config.memory());
    assertEquals(ByteSize.parse("64G"), config.disk());
    assertEquals(-1, config.idleTimeoutSeconds());
    assertEquals(EnvName.of("work"), config.defaultEnvironment());
    assertEquals("oci:/images/x:latest", config.defaultImage());
    assertEquals(Optional.of(Path.of("/opt/kernel")), config.kernel());
    assertEquals(GlobalConfig.Source.FILE, config.source(GlobalConfig.Key.MEMORY));
    CreateOptions create = config.createDefaults();
    assertEquals(4, create.cpus());
    assertEquals("oci:/images/x:latest", create.image());
  }

  @Test
  void kernelArchiveIsUriAndOptionalSuite() throws Exception {
    load("kernelArchive = \"https://mirror.example.org/debian trixie\"\n");
    GlobalConfig config = GlobalConfig.load(home(), Map.of());
    assertEquals("https://mirror.example.org/debian trixie", config.value(GlobalConfig.Key.KERNEL_ARCHIVE));
  }

  @Test
  void linuxKernelOverridesTheFile() throws Exception {
    load("kernel = /opt/kernel\n");
    GlobalConfig config = GlobalConfig.load(home(), Map.of("LINUX_KERNEL", "/other"));
    assertEquals(Optional.of(Path.of("/other")), config.kernel());
    assertEquals(GlobalConfig.Source.ENVIRONMENT, config.source(GlobalConfig.Key.KERNEL));
  }

  @Test
  void badValuesNameTheFileLineAndKey() {
    Path file = dir.resolve("config").resolve(GlobalConfig.FILE_NAME);
    String[][] cases = {
      {"cpus = 0", "line 1: cpus: must be between 1 and 256"},
      {"cpus = many", "line 1: cpus: expected a whole number, not 'many'"},
      {"\nmemory = 100M", "line 2: memory: must be a whole number of MiB, at least 128M"},
      {"memory = lots", "line 1: memory: invalid size 'lots'"},
      {"disk = 1M", "line 1: disk: must be at least 64M"},
      {"idleTimeout = -5", "line 1: idleTimeout: must be -1 (never)"},
      {"idleTimeout = soon", "line 1: idleTimeout: expected a whole number"},
      {"defaultEnvironment = Dev", "line 1: defaultEnvironment: invalid environment name 'Dev'"},
      {"kernel = relative/dir", "line 1: kernel: must be an absolute directory path"},
      {"kernelArchive = mirror.example.org/debian", "line 1: kernelArchive: must be 'URI [SUITE]'"},
      {"colour = blue", "line 1: unknown configuration key 'colour'"},
      {"just words", "line 1: expected key = value"},
    };
    for (String[] c : cases) {
      EnvException e = assertThrows(EnvException.class, () -> load(c[0] + "\n"), c[0]);
      assertEquals(EnvException.Code.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().startsWith(file + ", "), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void setKeepsOtherLinesAndUnsetRemovesTheKey() throws Exception {
    GlobalConfig config = load("# mine\ncpus = 4\nmemory = 8G\n");
    config = config.set(GlobalConfig.Key.MEMORY, "4G").set(GlobalConfig.Key.DEFAULT_ENVIRONMENT, "work");
    Path file = dir.resolve("config").resolve(GlobalConfig.FILE_NAME);
    assertEquals("# mine\ncpus = 4\nmemory = 4G\ndefaultEnvironment = work\n", Files.readString(file));
    assertEquals(ByteSize.parse("4G"), GlobalConfig.load(home(), Map.of()).memory());
    config.unset(GlobalConfig.Key.CPUS);
    assertEquals("# mine\nmemory = 4G\ndefaultEnvironment = work\n", Files.readString(file));
    try (var files = Files.list(file.getParent())) {
      assertEquals(1, files.filter(p -> !p.getFileName().toString().endsWith(".lock")).count());
    }
  }

  @Test
  void setRefusesABadValueAndLeavesTheFile() throws Exception {
    GlobalConfig config = load("cpus = 4\n");
    EnvException e = assertThrows(EnvException.class, () -> config.set(GlobalConfig.Key.CPUS, "300"));
    assertEquals("cpus: must be between 1 and 256, not 300", e.getMessage());
    assertEquals("cpus = 4\n", Files.readString(dir.resolve("config").resolve(GlobalConfig.FILE_NAME)));
  }

  @Test
  void aBadValueCanBeCorrected() throws Exception {
    assertThrows(EnvException.class, () -> load("cpus = 4\nmemory = lots\n"));
    GlobalConfig.forEditing(home()).set(GlobalConfig.Key.MEMORY, "4G");
    assertEquals(ByteSize.parse("4G"), GlobalConfig.load(home(), Map.of()).memory());
    Files.writeString(dir.resolve("config").resolve(GlobalConfig.FILE_NAME), "cpus = many\nmemory = lots\n");
    EnvException e = assertThrows(EnvException.class, () -> GlobalConfig.forEditing(home()).unset(GlobalConfig.Key.MEMORY));
    assertTrue(e.getMessage().contains("line 1: cpus"), e.getMessage());
    assertEquals("cpus = many\nmemory = lots\n", Files.readString(dir.resolve("config").resolve(GlobalConfig.FILE_NAME)));
  }

  @Test
  void setWritesANewFile() {
    GlobalConfig.load(home(), Map.of()).set(GlobalConfig.Key.IDLE_TIMEOUT, "300");
    assertEquals(300, GlobalConfig.load(home(), Map.of()).idleTimeoutSeconds());
  }
}
