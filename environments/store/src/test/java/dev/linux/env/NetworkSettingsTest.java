package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.linux.vm.NetworkMode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NetworkSettingsTest {

  @Test
  void portListsParse() {
    assertEquals(List.of(22, 5432), NetworkSettings.parsePorts("22,5432", "--ignore-ports"));
    assertEquals(List.of(22, 80), NetworkSettings.parsePorts(" 22 , 80 ", "--ignore-ports"));
    assertEquals(List.of(), NetworkSettings.parsePorts("", "--ignore-ports"));
    assertEquals(List.of(1, 65535), NetworkSettings.parsePorts("1,65535", "--ignore-ports"));
  }

  @Test
  void badPortListsFailInOneLineNamingTheOption() {
    for (String bad : List.of("22,x", "0", "70000", "22,,80", "-1", "22;80", "8080-8090")) {
      EnvException e = assertThrows(EnvException.class, () -> NetworkSettings.parsePorts(bad, "--ignore-ports"), bad);
      assertEquals(EnvException.Code.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().startsWith("--ignore-ports: "), e.getMessage());
      assertEquals(1, e.getMessage().lines().count());
    }
  }

  @Test
  void networkAndBooleansAreStrict() {
    assertEquals(NetworkMode.NONE, NetworkSettings.parseNetwork("none", "--network"));
    assertEquals(NetworkMode.USER, NetworkSettings.parseNetwork("user", "--network"));
    EnvException e = assertThrows(EnvException.class, () -> NetworkSettings.parseNetwork("bogus", "--network"));
    assertEquals("--network must be user or none, not 'bogus'", e.getMessage());
    assertThrows(EnvException.class, () -> NetworkSettings.parseNetwork("USER", "--network"));
    assertThrows(EnvException.class, () -> NetworkSettings.parseBoolean("yes", "--forward-ports"));
  }

  @Test
  void changesApplyWhatIsGivenAndKeepTheRest() {
    NetworkSettings.Change change = NetworkSettings.Change.parse(null, "false", "5432,22,22");
    NetworkSettings after = change.applyTo(NetworkSettings.DEFAULTS);
    assertEquals(new NetworkSettings(NetworkMode.USER, false, List.of(22, 5432)), after);
    assertFalse(after.forwards(80));
    assertTrue(NetworkSettings.Change.parse(null, null, null).isEmpty());
    assertEquals(NetworkSettings.DEFAULTS, NetworkSettings.Change.parse(null, "true", "").applyTo(after));
    assertTrue(NetworkSettings.DEFAULTS.forwards(80));
    assertFalse(new NetworkSettings(NetworkMode.NONE, true, List.of()).forwards(80));
  }

  @Test
  void aBadValueInSetChangesNothing() {
    assertThrows(EnvException.class, () -> NetworkSettings.Change.parse("user", "true", "22,x"));
  }

  @Test
  void recordsKeepTheirNetworkAndOlderRecordsReadAsDefaults() throws Exception {
    ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
    EnvironmentRecord r = new EnvironmentRecord("dev", "busybox", "sha256:" + "0".repeat(64), Instant.EPOCH, 1, 256L << 20,
        1L << 30, ImageDefaults.NONE);
    assertEquals(NetworkSettings.DEFAULTS, r.networkSettings());
    EnvironmentRecord set = new EnvironmentSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        NetworkSettings.Change.parse("none", null, "22")).applyTo(r).withAddress("127.77.0.5");
    EnvironmentRecord back = json.readValue(json.writeValueAsString(set), EnvironmentRecord.class);
    assertEquals(new NetworkSettings(NetworkMode.NONE, true, List.of(22)), back.networkSettings());
    assertEquals("127.77.0.5", back.address());
    String old = json.writeValueAsString(r).replaceAll(",\"(address|network|forwardPorts|ignorePorts)\":null", "");
    assertFalse(old.contains("address"), old);
    EnvironmentRecord oldRead = json.readValue(old, EnvironmentRecord.class);
    assertEquals(null, oldRead.address());
    assertEquals(NetworkSettings.DEFAULTS, oldRead.networkSettings());
  }
}
