package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentStoreTest {

  @TempDir Path dir;

  EnvironmentStore store() {
    return new EnvironmentStore(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")));
  }

  static EnvironmentRecord record(String name) {
    return new EnvironmentRecord(name, "oci:/images:busybox", "sha256:" + "0".repeat(64),
        Instant.parse("2026-01-02T03:04:05Z"), 2, 512L << 20, 1L << 30,
        new ImageDefaults(List.of("PATH=/bin", "LANG=C.UTF-8"), "/work", "1000:1000", null, List.of("/bin/sh"), null, null));
  }

  /** Writes {@code text} as a stand-in disk that passes the store's check (EXT4's superblock magic). */
  static void fakeDisk(Path disk, String text) throws IOException {
    byte[] bytes = new byte[1082];
    byte[] head = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    System.arraycopy(head, 0, bytes, 0, head.length);
    bytes[1080] = 0x53;
    bytes[1081] = (byte) 0xEF;
    Files.write(disk, bytes);
  }

  /** The text {@link #fakeDisk} wrote. */
  static String diskText(Path disk) throws IOException {
    String all = new String(Files.readAllBytes(disk), java.nio.charset.StandardCharsets.UTF_8);
    return all.substring(0, all.indexOf('\0'));
  }

  /** Populates a new environment named {@code name} with a stand-in disk. */
  static EnvironmentStore.Populator withDisk(String name) {
    return files -> {
      fakeDisk(files.disk(), "disk");
      return record(name);
    };
  }

  @Test
  void aLockHeldByOneThreadMakesAnotherWaitAndIsSeenAsHeld() throws Exception {
    EnvironmentStore store = store();
    EnvName name = EnvName.of("locked");
    org.junit.jupiter.api.Assertions.assertFalse(store.isLocked(name));
    java.util.concurrent.CompletableFuture<Long> waited;
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      org.junit.jupiter.api.Assertions.assertTrue(store.isLocked(name));
      org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> store.lock(name),
          "a second lock by the same thread would wait for itself");
      long start = System.nanoTime();
      waited = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try (EnvironmentStore.Lock second = store.lock(name)) {
          return System.nanoTime() - start;
        }
      });
      Thread.sleep(300);
      org.junit.jupiter.api.Assertions.assertFalse(waited.isDone(), "the other thread did not wait");
    }
    org.junit.jupiter.api.Assertions.assertTrue(waited.get(10, java.util.concurrent.TimeUnit.SECONDS) >= 300_000_000L);
    org.junit.jupiter.api.Assertions.assertFalse(store.isLocked(name));
  }

  @Test
  void createdEnvironmentReadsBack() {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), files -> {
      EnvironmentStoreTest.fakeDisk(files.disk(), "disk");
      return record("dev");
    });
    assertEquals(record("dev"), store.get(EnvName.of("dev")));
    assertEquals(List.of(record("dev")), store.list());
    assertTrue(Files.isRegularFile(dir.resolve("data/environments/dev/disk.ext4")));
  }

  @Test
  void aCreatedEnvironmentIsPrivateToItsOwner() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), files -> {
      fakeDisk(files.disk(), "disk bytes"); // as a writer with a 022 umask leaves it
      Files.setPosixFilePermissions(files.disk(), PosixFilePermissions.fromString("rw-r--r--"));
      return record("dev");
    });
    Path env = dir.resolve("data/environments/dev");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data"))));
    for (String file : List.of("disk.ext4", "env.json")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(env.resolve(file))), file);
    }
  }

  @Test
  void recordsWithoutImageDefaultsStillRead() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("old"), EnvironmentStoreTest.withDisk("old"));
    Files.writeString(dir.resolve("data/environments/old/env.json"), """
        {"name":"old","image":"x","imageDigest":null,"created":"2026-01-02T03:04:05Z","cpus":1,
         "memoryBytes":536870912,"diskBytes":1073741824,"someFutureField":true}
        """);
    assertEquals(ImageDefaults.NONE, store.get(EnvName.of("old")).imageDefaults());
  }

  @Test
  void stateReasonAndLastStartedRoundTrip() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev"));
    EnvironmentRecord broken = record("dev").withLastStarted(Instant.parse("2026-02-03T04:05:06Z"))
        .withState(EnvironmentState.BROKEN, "guest did not become ready within 120 s");
    store.save(broken);
    assertEquals(broken, store.get(EnvName.of("dev")));
    String json = Files.readString(dir.resolve("data/environments/dev/env.json"));
    assertTrue(json.contains("\"state\" : \"broken\""), json);
    assertTrue(json.contains("\"lastStarted\" : \"2026-02-03T04:05:06Z\""), json);

    EnvironmentRecord running = broken.withState(EnvironmentState.RUNNING, "ignored: only broken has a reason");
    store.save(running);
    assertEquals(EnvironmentState.RUNNING, store.get(EnvName.of("dev")).state());
    assertEquals(null, store.get(EnvName.of("dev")).stateReason());
    assertEquals(running.lastStarted(), store.get(EnvName.of("dev")).lastStarted());
  }

  @Test
  void recordsWithoutAStateReadAsCreated() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("old"), EnvironmentStoreTest.withDisk("old"));
    Files.writeString(dir.resolve("data/environments/old/env.json"), """
        {"name":"old","image":"x","imageDigest":"sha256:00","created":"2026-01-02T03:04:05Z","cpus":1,
         "memoryBytes":536870912,"diskBytes":1073741824,"imageDefaults":null,"idleTimeoutSeconds":null,
         "systemd":null}
        """);
    EnvironmentRecord old = store.get(EnvName.of("old"));
    assertEquals(EnvironmentState.CREATED, old.state());
    assertEquals(null, old.stateReason());
    assertEquals(null, old.lastStarted());
  }

  @Test
  void failedPopulateLeavesNothing() throws IOException {
    EnvironmentStore store = store();
    assertThrows(IllegalStateException.class, () -> store.create(EnvName.of("dev"), files -> {
      EnvironmentStoreTest.fakeDisk(files.disk(), "half a disk");
      throw new IllegalStateException("writer failed");
    }));
    assertEquals(List.of(), store.list());
    try (Stream<Path> left = Files.list(dir.resolve("data/environments"))) {
      assertEquals(List.of(), left.filter(p -> !p.getFileName().toString().equals(".locks")).toList());
    }
  }

  @Test
  void createRemovesWhatAKilledCreateOrRemoveOfThatNameLeft() throws IOException {
    EnvironmentStore store = store();
    Path environments = Files.createDirectories(dir.resolve("data/environments"));
    String uuid = "6d7cc70b-9b52-4a92-a3f4-ce04ec3677ff";
    Path staging = Files.createDirectories(environments.resolve(".staging-dev-" + uuid));
    Files.writeString(staging.resolve("disk.ext4"), "half a disk");
    Path removing = Files.createDirectories(environments.resolve(".removing-dev-" + uuid));
    Path otherName = Files.createDirectories(environments.resolve(".staging-dev-2-" + uuid));
    Path notOurs = Files.createDirectories(environments.resolve(".staging-dev-x"));

    store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev"));

    assertFalse(Files.exists(staging));
    assertFalse(Files.exists(removing));
    assertTrue(Files.isDirectory(otherName), "another environment's staging directory");
    assertTrue(Files.isDirectory(notOurs));
  }

  @Test
  void staleStagingDirectoriesAreNotListed() throws IOException {
    EnvironmentStore store = store();
    Path staging = Files.createDirectories(dir.resolve("data/environments/.staging-dev-123"));
    Files.writeString(staging.resolve("env.json"), "{}");
    assertEquals(List.of(), store.list());
  }

  @Test
  void duplicatesAndMissingAreClearErrors() {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev"));
    EnvException dup = assertThrows(EnvException.class, () -> store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev")));
    assertEquals(EnvException.Code.ALREADY_EXISTS, dup.code());
    EnvException missing = assertThrows(EnvException.class, () -> store.get(EnvName.of("nope")));
    assertEquals(EnvException.Code.NOT_FOUND, missing.code());
    assertEquals("no environment named 'nope' (create it with: linux create nope)", missing.getMessage());
  }

  @Test
  void removeDeletesTheDirectory() {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), EnvironmentStoreTest.withDisk("dev"));
    store.remove(EnvName.of("dev"));
    assertFalse(Files.exists(dir.resolve("data/environments/dev")));
    assertTrue(store.find(EnvName.of("dev")).isEmpty());
  }

  /** Issue 16, defect 3: a damaged record is listed as broken, others normally; it can be removed. */
  @Test
  void damagedRecordsAreBrokenWithTheReasonAndCanBeRemoved() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("good"), withDisk("good"));
    java.util.Map<String, String> damage = new java.util.LinkedHashMap<>();
    damage.put("{not json", "its record env.json is not valid JSON (line 1, column 2)");
    damage.put("[1,2]", "its record env.json holds no JSON object");
    damage.put("{\"name\":\"bad\",\"image\":\"x\",\"created\":\"2026-01-02T03:04:05Z\",\"cpus\":\"many\"}", "its record env.json is damaged: ");
    damage.put("{\"name\":\"bad\",\"image\":\"x\",\"created\":\"2026-01-02T03:04:05Z\",\"cpus\":0,\"memoryBytes\":1073741824,\"diskBytes\":1073741824}", "its record env.json is damaged: cpus must be between 1 and 256, not 0");
    damage.put("{\"schemaVersion\":99,\"name\":\"bad\"}", "its record env.json has schema version 99, which this linux does not read (it reads 1)");
    damage.put("{\"name\":\"other\",\"image\":\"x\",\"created\":\"2026-01-02T03:04:05Z\",\"cpus\":1,\"memoryBytes\":1073741824,\"diskBytes\":1073741824}", "its record env.json names 'other', not 'bad'");
    damage.put(null, "its record env.json is missing");
    for (var entry : damage.entrySet()) {
      store.create(EnvName.of("bad"), withDisk("bad"));
      Path json = dir.resolve("data/environments/bad/env.json");
      if (entry.getKey() == null) {
        Files.delete(json);
      } else {
        Files.writeString(json, entry.getKey());
      }
      assertBroken(store, entry.getValue());
    }
    store.create(EnvName.of("bad"), withDisk("bad"));
    Files.delete(dir.resolve("data/environments/bad/disk.ext4"));
    assertBroken(store, "its disk disk.ext4 is missing");
    store.create(EnvName.of("bad"), withDisk("bad"));
    Files.writeString(dir.resolve("data/environments/bad/disk.ext4"), "not a disk");
    assertBroken(store, "its disk disk.ext4 is not an EXT4 image");
  }

  private void assertBroken(EnvironmentStore store, String reasonStart) {
    List<EnvironmentRecord> all = store.list();
    assertEquals(List.of("bad", "good"), all.stream().map(EnvironmentRecord::name).toList());
    assertEquals(EnvironmentState.CREATED, all.get(1).state());
    EnvironmentRecord bad = all.get(0);
    assertEquals(EnvironmentState.BROKEN, bad.state());
    assertTrue(bad.stateReason().startsWith(reasonStart), bad.stateReason());
    assertTrue(bad.stateReason().endsWith("; remove it with: linux rm bad"), bad.stateReason());
    EnvException refused = assertThrows(EnvException.class, () -> store.usable(EnvName.of("bad")));
    assertEquals(EnvException.Code.FAILED_PRECONDITION, refused.code());
    EnvException exists = store.alreadyExists(EnvName.of("bad"));
    assertTrue(exists.getMessage().contains("linux rm bad"), exists.getMessage());
    store.remove(EnvName.of("bad"));
    assertTrue(store.find(EnvName.of("bad")).isEmpty());
  }

  @Test
  void recordsCarryTheirSchemaVersion() throws IOException {
    EnvironmentStore store = store();
    store.create(EnvName.of("dev"), withDisk("dev"));
    assertTrue(Files.readString(dir.resolve("data/environments/dev/env.json")).contains("\"schemaVersion\" : 1"));
  }

  /** Issue 16, defect 11: .locks/ keeps no file for a name that was never created (or was removed). */
  @Test
  void locksOfNamesWithoutAnEnvironmentLeaveNoFile() throws Exception {
    EnvironmentStore store = store();
    for (int i = 0; i < 20; i++) {
      try (EnvironmentStore.Lock lock = store.lock(EnvName.of("never-" + i))) {
        assertTrue(store.isLocked(EnvName.of("never-" + i)));
      }
    }
    store.create(EnvName.of("kept"), withDisk("kept"));
    try (EnvironmentStore.Lock lock = store.lock(EnvName.of("kept"))) {
      assertTrue(store.isLocked(EnvName.of("kept")));
    }
    try (Stream<Path> files = Files.list(dir.resolve("data/environments/.locks"))) {
      assertEquals(List.of("kept.lock"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void lockIsExclusiveAcrossHolders() throws Exception {
    EnvironmentStore store = store();
    try (EnvironmentStore.Lock lock = store.lock(EnvName.of("dev"))) {
      assertTrue(Files.exists(dir.resolve("data/environments/.locks/dev.lock")));
    }
    try (EnvironmentStore.Lock again = store.lock(EnvName.of("dev"))) {
      assertTrue(again != null);
    }
  }
}
