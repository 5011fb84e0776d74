package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.EnvException;
import dev.linux.env.EnvException.Code;
import dev.linux.vm.AgentException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The exit-status tables of the README and of {@link ErrorReporter} agree, row by row (issue 16, defect 10). */
class ErrorReporterTest {

  private static final Pattern ROW = Pattern.compile("^\\| (\\d+) \\| .* \\| (.*) \\|$");

  @Test
  void everyCodeHasTheStatusTheReadmeGives() throws IOException {
    Map<Code, Integer> readme = new EnumMap<>(Code.class);
    Map<Code, Integer> runnerReadme = new EnumMap<>(Code.class);
    int runnerOthers = -1;
    for (String line : Files.readAllLines(Path.of("..", "README.md"))) {
      Matcher row = ROW.matcher(line);
      if (!row.matches()) {
        continue;
      }
      int status = Integer.parseInt(row.group(1));
      String code = row.group(2).replace("`", "").strip();
      boolean runner = status >= 125;
      if (code.equals("all others")) {
        runnerOthers = status;
      } else if (!code.isEmpty()) {
        (runner ? runnerReadme : readme).put(Code.valueOf(code), status);
      }
    }
    assertEquals(125, runnerOthers, "the README's run/enter table names 125 for all other codes");
    Set<Code> generalCodes = EnumSet.complementOf(EnumSet.of(Code.COMMAND_NOT_FOUND, Code.NOT_EXECUTABLE));
    assertEquals(generalCodes, readme.keySet(), "every code that any command can fail with is in the README");
    readme.forEach((code, status) -> assertEquals(status, ErrorReporter.exitStatus(code), code.name()));
    for (Code code : Code.values()) {
      int expected = runnerReadme.getOrDefault(code, runnerOthers);
      assertEquals(expected, ErrorReporter.runnerExitStatus(code), "run/enter: " + code);
    }
    assertEquals(Set.of(Code.COMMAND_NOT_FOUND, Code.NOT_EXECUTABLE), runnerReadme.keySet());
  }

  @Test
  void usageErrorsOfRunAreItsOwnFailures125AndOfOtherCommands2() {
    InProcessCli.Result run = InProcessCli.run("run", "--bogus", "dev", "--", "true");
    assertEquals(125, run.status(), run.err());
    assertEquals(1, run.errLines().size(), run.err());
    assertEquals(125, InProcessCli.run("enter", "--bogus").status());
    assertEquals(2, InProcessCli.run("list", "--bogus").status());
    assertEquals(2, InProcessCli.run("create").status());
  }

  @Test
  void aGuestProcessThatCannotStartGetsTheReservedStatuses() {
    var env = dev.linux.env.EnvName.of("dev");
    assertEquals(127, ErrorReporter.runnerExitStatus(
        GuestProcesses.failure(env, new AgentException(AgentException.Code.NOT_FOUND, "executable not found: nope")).code()));
    assertEquals(126, ErrorReporter.runnerExitStatus(
        GuestProcesses.failure(env, new AgentException(AgentException.Code.PERMISSION_DENIED, "permission denied")).code()));
    // vminitd answers an unknown user with INVALID_ARGUMENT: linux failed, the command was not missing.
    assertEquals(125, ErrorReporter.runnerExitStatus(GuestProcesses.failure(env,
        new AgentException(AgentException.Code.INVALID_ARGUMENT, "unknown user \"nosuchuser\"")).code()));
    assertEquals(125, ErrorReporter.runnerExitStatus(GuestProcesses.failure(env,
        new AgentException(AgentException.Code.UNAVAILABLE, "lost the connection")).code()));
  }

  @Test
  void whatSlipsThroughBecomesTheOneTypeWithOneLine() {
    assertEquals(Code.INVALID_ARGUMENT, ErrorReporter.translate(new IllegalArgumentException("bad")).code());
    assertEquals(Code.IO, ErrorReporter.translate(new IOException("disk full")).code());
    assertEquals(Code.UNAVAILABLE, ErrorReporter.translate(new AgentException(AgentException.Code.UNAVAILABLE, "x")).code());
    EnvException internal = ErrorReporter.translate(new NullPointerException());
    assertEquals(Code.INTERNAL, internal.code());
    assertTrue(internal.getMessage().startsWith("internal error: NullPointerException"), internal.getMessage());
    assertEquals("first", ErrorReporter.translate(new IllegalStateException("first\nsecond")).getMessage()
        .replace("internal error: ", "").replace(" (LINUX_DEBUG=1 shows where)", ""));
  }
}
