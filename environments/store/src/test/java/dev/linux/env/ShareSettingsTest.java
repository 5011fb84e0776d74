package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.share.ShareSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Share settings in the record, their changes, and what a boot wants from them. */
class ShareSettingsTest {

  @TempDir Path dir;

  private EnvironmentStore store() {
    return new EnvironmentStore(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")));
  }

  @Test
  void sharesRoundTripThroughTheStoreAndOldRecordsReadWithDefaults() throws Exception {
    Path data = Files.createDirectories(dir.resolve("srv"));
    EnvironmentStore store = store();
    EnvironmentRecord record = EnvironmentStoreTest.record("dev").withShareHome(false)
        .withShares(List.of(ShareSetting.of(new ShareSpec(data, "/data", true))));
    store.create(EnvName.of("dev"), files -> {
      EnvironmentStoreTest.fakeDisk(files.disk(), "disk");
      return record;
    });
    EnvironmentRecord back = store.get(EnvName.of("dev"));
    assertEquals(record, back);
    assertEquals(List.of(new ShareSetting(data.toRealPath().toString(), "/data", true)), back.shares());

    // A record written before sharing existed: home shared by default, no other shares.
    Path json = store.home().files(EnvName.of("dev")).record();
    String old = Files.readString(json).replaceAll(",\\s*\"shareHome\"\\s*:\\s*false", "")
        .replaceAll(",\\s*\"shares\"\\s*:\\s*\\[[^\\]]*\\]", "");
    assertFalse(old.contains("share"), old);
    Files.writeString(json, old);
    EnvironmentRecord legacy = store.get(EnvName.of("dev"));
    assertNull(legacy.shareHome());
    assertEquals(List.of(), legacy.shares());
  }

  @Test
  void changesApplyRemovalsFirstAndRefuseWhatIsWrong() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));
    Path home = Files.createDirectories(dir.resolve("home")).toRealPath();
    EnvironmentRecord record = EnvironmentStoreTest.record("dev");
    EnvironmentRecord added = new ShareChanges(Optional.empty(), List.of(ShareSpec.parse(a + ":/a"), ShareSpec.parse(b.toString())),
        List.of()).applyTo(record, Optional.of(home));
    assertEquals(List.of("/a", b.toRealPath().toString()), added.shares().stream().map(ShareSetting::guest).toList());

    // --unshare by guest or host path; --unshare X --share X:ro changes the mode.
    EnvironmentRecord ro = new ShareChanges(Optional.empty(), List.of(ShareSpec.parse(a + ":/a:ro")), List.of("/a"))
        .applyTo(added, Optional.of(home));
    assertTrue(ro.shares().stream().anyMatch(s -> s.guest().equals("/a") && s.readOnly()));
    EnvironmentRecord fewer = new ShareChanges(Optional.empty(), List.of(), List.of(b.toString())).applyTo(ro, Optional.of(home));
    assertEquals(1, fewer.shares().size());
    // --unshare of the home turns the home off.
    assertEquals(false, new ShareChanges(Optional.empty(), List.of(), List.of(home.toString()))
        .applyTo(record, Optional.of(home)).shareHome());

    EnvException notShared = assertThrows(EnvException.class,
        () -> new ShareChanges(Optional.empty(), List.of(), List.of("/nowhere")).applyTo(added, Optional.of(home)));
    assertEquals(EnvException.Code.INVALID_ARGUMENT, notShared.code());
    assertTrue(notShared.getMessage().startsWith("/nowhere is not shared with dev"), notShared.getMessage());
    EnvException duplicate = assertThrows(EnvException.class,
        () -> new ShareChanges(Optional.empty(), List.of(ShareSpec.parse(b + ":/a")), List.of()).applyTo(added, Optional.of(home)));
    assertTrue(duplicate.getMessage().contains("/a is already shared"), duplicate.getMessage());
    EnvException overHome = assertThrows(EnvException.class,
        () -> new ShareChanges(Optional.empty(), List.of(ShareSpec.parse(a + ":" + home)), List.of()).applyTo(record, Optional.of(home)));
    assertTrue(overHome.getMessage().contains("host home"), overHome.getMessage());
    assertThrows(EnvException.class,
        () -> new ShareChanges(Optional.empty(), List.of(), List.of("relative")).applyTo(added, Optional.of(home)));
  }

  @Test
  void aBootWantsTheHomeUnlessTurnedOffAndParentsMountFirst() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home")).toRealPath();
    Path inner = Files.createDirectories(dir.resolve("inner")).toRealPath();
    Path gone = dir.resolve("gone");
    EnvironmentRecord record = EnvironmentStoreTest.record("dev").withShares(List.of(
        new ShareSetting(inner.toString(), home + "/inner", false), new ShareSetting(gone.toString(), "/gone", false)));
    EnvironmentShares.Wanted wanted = EnvironmentShares.wanted(record, dir.resolve("no-disk"), Optional.of(home));
    assertEquals(List.of(home.toString(), home + "/inner"), wanted.shares().stream().map(ShareSpec::guestPath).toList());
    assertEquals(1, wanted.problems().size());
    assertTrue(wanted.problems().get(0).contains(gone.toString()), wanted.problems().toString());
    assertEquals(List.of(home + "/inner"), EnvironmentShares.wanted(record.withShareHome(false), dir.resolve("no-disk"),
        Optional.of(home)).shares().stream().map(ShareSpec::guestPath).toList());
  }

  @Test
  void wslConfAutomountIsReadAsVminitdReadsIt() {
    assertTrue(EnvironmentShares.automount(""));
    assertTrue(EnvironmentShares.automount("[boot]\nsystemd=true\n[automount]\nenabled = yes\n"));
    assertFalse(EnvironmentShares.automount("[automount]\nenabled = false\n"));
    assertFalse(EnvironmentShares.automount("# comment\n[Automount]\n  Enabled=\"off\"  # trailing\n"));
    assertFalse(EnvironmentShares.automount("[automount]\r\nenabled=0\r\n"));
    assertTrue(EnvironmentShares.automount("[automount]\nenabled = ture\n"), "invalid: the default");
    assertTrue(EnvironmentShares.automount("[user]\nenabled = false\n"), "another section");
  }

  @Test
  void theHostHomeIsARealDirectoryOtherThanRoot() throws Exception {
    Path home = Files.createDirectories(dir.resolve("h"));
    assertEquals(Optional.of(home.toRealPath()), EnvironmentShares.hostHome(java.util.Map.of("HOME", home.toString())));
    assertEquals(Optional.empty(), EnvironmentShares.hostHome(java.util.Map.of("HOME", "/")));
    assertEquals(Optional.empty(), EnvironmentShares.hostHome(java.util.Map.of("HOME", dir.resolve("missing").toString())));
    assertEquals(Optional.empty(), EnvironmentShares.hostHome(java.util.Map.of("HOME", "relative")));
  }

  @Test
  void linuxOwnDirectoriesAreHiddenAndTheConfigIsCreatedToBeHidden() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home"));
    LinuxHome linux = LinuxHome.fromEnvironment(java.util.Map.of("HOME", home.toString()));
    Files.createDirectories(linux.data());
    List<Path> hidden = EnvironmentShares.hidden(linux);
    assertEquals(List.of(linux.data(), linux.config(), linux.runtime()), hidden);
    assertTrue(Files.isDirectory(linux.config()), "created so that it is hidden from the first boot");
    // the home share hides the data and config directories; the runtime directory is elsewhere
    assertEquals(List.of(linux.data().toRealPath(), linux.config().toRealPath()),
        dev.linux.share.VirtiofsServer.hiddenIn(home.toRealPath(), hidden).stream()
            .filter(p -> !p.startsWith(linux.runtime())).toList());
  }
}
