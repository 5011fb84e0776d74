package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentSettingsTest {

  @TempDir Path dir;

  @Test
  void systemdIsKeptThroughOtherChangesAndRenames() {
    EnvironmentRecord original = EnvironmentStoreTest.record("dev");
    assertNull(original.systemd(), "by default wsl.conf decides");
    EnvironmentRecord on = new EnvironmentSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(true))
        .applyTo(original);
    assertEquals(Boolean.TRUE, on.systemd());
    EnvironmentRecord later = new EnvironmentSettings(Optional.of(2), Optional.empty(), Optional.empty()).applyTo(on);
    assertEquals(Boolean.TRUE, later.systemd());
    assertEquals(Boolean.TRUE, later.withName(EnvName.of("other")).withDiskBytes(2L << 30).systemd());
    assertEquals(original.imageDefaults(), later.withName(EnvName.of("other")).imageDefaults());
  }

  @Test
  void onlyWhatIsGivenChanges() {
    EnvironmentRecord original = EnvironmentStoreTest.record("dev");
    EnvironmentRecord updated =
        new EnvironmentSettings(Optional.empty(), Optional.of(ByteSize.parse("8G")), Optional.empty()).applyTo(original);
    assertEquals(8L << 30, updated.memoryBytes());
    assertEquals(original.cpus(), updated.cpus());
    assertEquals(original.diskBytes(), updated.diskBytes());
    assertNull(updated.idleTimeoutSeconds());
    assertEquals(-1L, new EnvironmentSettings(Optional.of(4), Optional.empty(), Optional.of(-1L))
        .applyTo(updated).idleTimeoutSeconds());
  }

  @Test
  void badValuesAreNamed() {
    assertTrue(assertThrows(EnvException.class, () -> new EnvironmentSettings(Optional.of(0), Optional.empty(), Optional.empty()))
        .getMessage().startsWith("--cpus must be between 1 and 256"));
    assertTrue(assertThrows(EnvException.class, () -> new EnvironmentSettings(Optional.empty(), Optional.of(ByteSize.parse("64M")), Optional.empty()))
        .getMessage().startsWith("--memory must be at least 128 MiB"));
    assertTrue(assertThrows(EnvException.class, () -> new EnvironmentSettings(Optional.empty(), Optional.of(ByteSize.parse("200.5M")), Optional.empty()))
        .getMessage().startsWith("--memory must be a whole number of MiB"));
    assertTrue(assertThrows(EnvException.class, () -> new EnvironmentSettings(Optional.empty(), Optional.empty(), Optional.of(-2L)))
        .getMessage().startsWith("--idle-timeout must be -1"));
  }

  @Test
  void updateIsStoredAndReadBack() throws Exception {
    EnvironmentStore store = new EnvironmentStore(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")));
    store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev"));
    new EnvironmentSettings(Optional.of(3), Optional.empty(), Optional.of(120L)).update(store, EnvName.of("dev"));
    EnvironmentRecord stored = store.get(EnvName.of("dev"));
    assertEquals(3, stored.cpus());
    assertEquals(120L, stored.idleTimeoutSeconds());
    assertTrue(Files.readString(dir.resolve("data/environments/dev/env.json")).contains("\"idleTimeoutSeconds\" : 120"));

    EnvException empty = assertThrows(EnvException.class,
        () -> new EnvironmentSettings(Optional.empty(), Optional.empty(), Optional.empty()).update(store, EnvName.of("dev")));
    assertEquals(EnvException.Code.INVALID_ARGUMENT, empty.code());
    EnvException missing = assertThrows(EnvException.class,
        () -> new EnvironmentSettings(Optional.of(1), Optional.empty(), Optional.empty()).update(store, EnvName.of("nope")));
    assertEquals(EnvException.Code.NOT_FOUND, missing.code());
  }
}
