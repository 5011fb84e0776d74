package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.EnvironmentInspection;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.EnvironmentState;
import dev.linux.env.EnvironmentStatus;
import dev.linux.env.GlobalConfig;
import dev.linux.env.ImageDefaults;
import dev.linux.env.LinuxHome;
import dev.linux.vm.EnvironmentInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code linux inspect} shows of the guest agent's report: automount and wsl.conf's problems. */
class InspectCommandTest {

  @TempDir Path dir;

  private static final String PROBLEM =
      "/etc/wsl.conf line 3: [boot] systemd = \"ture\" is not a boolean (true or false); using false";

  @Test
  void aRunningEnvironmentShowsAutomountAndEachConfigProblemOnItsOwnLine() throws Exception {
    String second = "/etc/wsl.conf line 9: [automount] enabled = \"nah\" is not a boolean (true or false); using true";
    Map<String, Object> fields = InspectCommand.fields(inspection(Optional.of(info(false, List.of(PROBLEM, second)))), config());
    assertEquals(false, fields.get("automount"));
    assertEquals(List.of(PROBLEM, second), fields.get("configProblems"));

    String text = text(fields);
    assertTrue(text.contains("automount:          false\n"), text);
    assertTrue(text.contains("configProblems:     " + PROBLEM + "\n" + " ".repeat(20) + second + "\n"), text);

    JsonNode json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(fields));
    assertFalse(json.get("automount").asBoolean());
    assertEquals(PROBLEM, json.get("configProblems").get(0).asText());
    assertEquals(2, json.get("configProblems").size());
  }

  @Test
  void noProblemsReadNone() {
    String text = text(InspectCommand.fields(inspection(Optional.of(info(true, List.of()))), config()));
    assertTrue(text.contains("automount:          true\n"), text);
    assertTrue(text.contains("configProblems:     none\n"), text);
  }

  @Test
  void withoutAnAgentReportNeitherIsShown() {
    Map<String, Object> fields = InspectCommand.fields(inspection(Optional.empty()), config());
    assertFalse(fields.containsKey("automount"), fields.toString());
    assertFalse(fields.containsKey("configProblems"), fields.toString());
  }

  private static String text(Map<String, Object> fields) {
    StringWriter out = new StringWriter();
    try (PrintWriter writer = new PrintWriter(out)) {
      InspectCommand.text(fields, writer);
    }
    return out.toString().replace(System.lineSeparator(), "\n");
  }

  private static EnvironmentInfo info(boolean automount, List<String> problems) {
    return new EnvironmentInfo(true, "", Optional.empty(), "", false, List.of(), -1, "", automount, problems);
  }

  private EnvironmentInspection inspection(Optional<EnvironmentInfo> guest) {
    EnvironmentRecord record = new EnvironmentRecord("dev", "debian:bookworm", "sha256:" + "0".repeat(64),
        Instant.parse("2026-01-02T03:04:05Z"), 2, 512L << 20, 1L << 30, ImageDefaults.NONE)
        .withState(EnvironmentState.RUNNING, null);
    return new EnvironmentInspection(new EnvironmentStatus(record, EnvironmentState.RUNNING, Optional.of(42L), 0),
        dir.resolve("dev"), dir.resolve("dev/console.log"), Optional.empty(), Optional.empty(), guest);
  }

  private GlobalConfig config() {
    return GlobalConfig.load(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")), Map.of());
  }
}
