package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentRenameCloneTest {

  @TempDir Path dir;

  EnvironmentStore store() throws IOException {
    EnvironmentStore store = new EnvironmentStore(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")));
    if (store.find(EnvName.of("dev")).isEmpty()) {
      store.create(EnvName.of("dev"), files -> {
        EnvironmentStoreTest.fakeDisk(files.disk(), "disk of dev");
        Files.writeString(files.consoleLog(), "boot log");
        return new EnvironmentSettings(Optional.empty(), Optional.empty(), Optional.of(30L))
            .applyTo(EnvironmentStoreTest.record("dev"));
      });
    }
    return store;
  }

  List<String> entries() throws IOException {
    try (Stream<Path> list = Files.list(dir.resolve("data/environments"))) {
      return list.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".locks")).sorted().toList();
    }
  }

  @Test
  void renameMovesEverythingAndRewritesTheRecord() throws IOException {
    EnvironmentStore store = store();
    EnvironmentRecord renamed = new EnvironmentRenamer(store).rename(EnvName.of("dev"), EnvName.of("work"));
    assertEquals("work", renamed.name());
    assertEquals(List.of("work"), entries());
    EnvironmentRecord stored = store.get(EnvName.of("work"));
    assertEquals("work", stored.name());
    assertEquals(30L, stored.idleTimeoutSeconds());
    assertEquals("disk of dev", EnvironmentStoreTest.diskText(dir.resolve("data/environments/work/disk.ext4")));
    assertEquals("boot log", Files.readString(dir.resolve("data/environments/work/console.log")));
    assertTrue(store.find(EnvName.of("dev")).isEmpty());
  }

  @Test
  void renameRefusesATakenOrMissingName() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("other"), EnvironmentStoreTest.withDisk("other"));
    EnvironmentRenamer renamer = new EnvironmentRenamer(store);
    assertEquals(EnvException.Code.ALREADY_EXISTS,
        assertThrows(EnvException.class, () -> renamer.rename(EnvName.of("dev"), EnvName.of("other"))).code());
    assertEquals(EnvException.Code.NOT_FOUND,
        assertThrows(EnvException.class, () -> renamer.rename(EnvName.of("nope"), EnvName.of("x"))).code());
    assertEquals(EnvException.Code.INVALID_ARGUMENT,
        assertThrows(EnvException.class, () -> renamer.rename(EnvName.of("dev"), EnvName.of("dev"))).code());
    assertEquals(List.of("dev", "other"), entries());
  }

  @Test
  void cloneCopiesTheDiskAndSettingsUnderTheNewName() throws IOException {
    EnvironmentStore store = store();
    EnvironmentRecord clone = new EnvironmentCloner(store, EnvironmentCloner.CP).cloneEnvironment(EnvName.of("dev"), EnvName.of("copy"));
    assertEquals("copy", clone.name());
    assertEquals(30L, clone.idleTimeoutSeconds());
    assertEquals(clone, store.get(EnvName.of("copy")));
    assertEquals("disk of dev", EnvironmentStoreTest.diskText(dir.resolve("data/environments/copy/disk.ext4")));
    assertFalse(Files.exists(dir.resolve("data/environments/copy/console.log")), "a clone starts its own log");
    assertEquals("disk of dev", EnvironmentStoreTest.diskText(dir.resolve("data/environments/dev/disk.ext4")));
    assertEquals(List.of("copy", "dev"), entries());
  }

  @Test
  void cloneKeepsTheDiskSparse() throws Exception {
    EnvironmentStore store = store();
    Path disk = dir.resolve("data/environments/dev/disk.ext4");
    try (var ch = java.nio.channels.FileChannel.open(disk, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 256L << 20);
    }
    new EnvironmentCloner(store, EnvironmentCloner.CP).cloneEnvironment(EnvName.of("dev"), EnvName.of("copy"));
    Path copy = dir.resolve("data/environments/copy/disk.ext4");
    assertEquals(Files.size(disk), Files.size(copy));
    long allocated = DiskUsage.allocatedBytes(List.of(copy)).get(copy);
    assertTrue(allocated < (1L << 20), "allocated " + allocated);
  }

  @Test
  void aFailedCloneLeavesNothing() throws IOException {
    EnvironmentStore store = store();
    EnvironmentCloner failing = new EnvironmentCloner(store, (from, to) -> {
      Files.writeString(to, "half a disk");
      throw new IOException("disk full");
    });
    EnvException e = assertThrows(EnvException.class, () -> failing.cloneEnvironment(EnvName.of("dev"), EnvName.of("copy")));
    assertEquals(EnvException.Code.IO, e.code());
    assertTrue(e.getMessage().contains("disk full"), e.getMessage());
    assertEquals(List.of("dev"), entries());
    assertTrue(store.find(EnvName.of("copy")).isEmpty());
  }

  @Test
  void cloneRefusesATakenName() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("copy"), EnvironmentStoreTest.withDisk("copy"));
    assertEquals(EnvException.Code.ALREADY_EXISTS, assertThrows(EnvException.class,
        () -> new EnvironmentCloner(store, EnvironmentCloner.CP).cloneEnvironment(EnvName.of("dev"), EnvName.of("copy"))).code());
  }
}
