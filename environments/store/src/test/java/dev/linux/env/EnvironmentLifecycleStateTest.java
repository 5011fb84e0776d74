package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The states {@link Environments} records and reports, in the transitions that need no VM. */
class EnvironmentLifecycleStateTest {

  @TempDir Path dir;

  private final EnvName dev = EnvName.of("dev");

  private EnvironmentStore store() {
    return new EnvironmentStore(home());
  }

  private LinuxHome home() {
    return new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run"));
  }

  /** Environments booting a kernel directory that holds no kernel: every boot fails early. */
  private Environments environments() throws Exception {
    return new Environments(home(), Progress.SILENT, Optional.of(Files.createDirectories(dir.resolve("no-kernel"))));
  }

  private EnvironmentRecord created() {
    return store().create(dev, files -> {
      EnvironmentStoreTest.fakeDisk(files.disk(), "disk");
      return EnvironmentStoreTest.record("dev");
    });
  }

  @Test
  void aNewEnvironmentIsCreated() throws Exception {
    assertEquals(EnvironmentState.CREATED, created().state());
    EnvironmentStatus status = environments().list().getFirst();
    assertEquals(EnvironmentState.CREATED, status.state());
    assertEquals(Optional.empty(), status.stateReason());
    assertEquals(EnvironmentState.CREATED, environments().inspect(dev).status().state());
  }

  @Test
  void aStateLeftByACrashIsReportedAsStoppedAndStopCorrectsIt() throws Exception {
    created();
    for (EnvironmentState stale : new EnvironmentState[] {
        EnvironmentState.STARTING, EnvironmentState.RUNNING, EnvironmentState.STOPPING}) {
      store().save(store().get(dev).withState(stale, null));
      assertEquals(EnvironmentState.STOPPED, environments().list().getFirst().state(), stale.label());
      assertEquals(EnvironmentState.STOPPED, environments().inspect(dev).status().state(), stale.label());

      assertFalse(environments().stop(dev, java.time.Duration.ZERO));
      assertEquals(EnvironmentState.STOPPED, store().get(dev).state(), stale.label());
    }
  }

  @Test
  void stopWithoutAVmLeavesCreatedAndBrokenAlone() throws Exception {
    created();
    assertFalse(environments().stop(dev, java.time.Duration.ZERO));
    assertEquals(EnvironmentState.CREATED, store().get(dev).state());

    store().save(store().get(dev).withState(EnvironmentState.BROKEN, "kernel panic"));
    assertFalse(environments().stop(dev, java.time.Duration.ZERO));
    assertEquals(EnvironmentState.BROKEN, store().get(dev).state());
    assertEquals("kernel panic", store().get(dev).stateReason());
  }

  @Test
  void aFailedBootIsBrokenWithItsReasonAndTheNextStartTriesAgain() throws Exception {
    created();
    Environments environments = environments();
    RuntimeException first = assertThrows(RuntimeException.class, () -> environments.start(dev));

    EnvironmentRecord stored = store().get(dev);
    assertEquals(EnvironmentState.BROKEN, stored.state());
    assertEquals(first.getMessage(), stored.stateReason());
    assertTrue(stored.stateReason().contains("kernel image not found"), stored.stateReason());
    assertNull(stored.lastStarted());
    EnvironmentStatus status = environments.list().getFirst();
    assertEquals(EnvironmentState.BROKEN, status.state());
    assertEquals(Optional.of(stored.stateReason()), status.stateReason());

    assertThrows(RuntimeException.class, () -> environments.start(dev));
    assertEquals(EnvironmentState.BROKEN, store().get(dev).state());
  }

  @Test
  void settingsAndRenameKeepTheState() throws Exception {
    created();
    Instant booted = Instant.parse("2026-03-04T05:06:07Z");
    store().save(store().get(dev).withState(EnvironmentState.STOPPED, null).withLastStarted(booted));
    EnvironmentRecord updated = environments().update(dev, new EnvironmentSettings(
        Optional.of(3), Optional.empty(), Optional.empty()));
    assertEquals(EnvironmentState.STOPPED, updated.state());
    assertEquals(booted, updated.lastStarted());
    EnvironmentRecord renamed = environments().rename(dev, EnvName.of("work"));
    assertEquals(EnvironmentState.STOPPED, renamed.state());
    assertEquals(booted, renamed.lastStarted());
  }

  @Test
  void aCloneStartsCreated() throws Exception {
    created();
    store().save(store().get(dev).withState(EnvironmentState.STOPPED, null).withLastStarted(Instant.now()));
    EnvironmentRecord clone = new EnvironmentCloner(store(), EnvironmentCloner.CP).cloneEnvironment(dev, EnvName.of("copy"));
    assertEquals(EnvironmentState.CREATED, clone.state());
    assertNull(clone.lastStarted());
  }
}
