package dev.linux.vm.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.EventSubscription;
import dev.linux.vm.ExecSession;
import dev.linux.vm.FileStat;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestEvent;
import dev.linux.vm.GuestProcess;
import dev.linux.vm.GuestUser;
import dev.linux.vm.NewUser;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every connection to a guest agent must do, whatever carries it (netty's testsuite style):
 * a subclass says how to reach a running busybox environment ({@link #connect()}) and inherits
 * the checks. Run over the direct connection to a VM (vm-runtime's {@code
 * DirectGuestAgentContractIT}) and through the daemon's relay (env-daemon's {@code
 * RelayedGuestAgentContractIT}).
 *
 * <p>Each check opens its own connection and leaves the guest as it found it (files under a name
 * of its own, the clock set back), so checks run in any order and one failure stays one failure.
 * The environment needs busybox's {@code sh}, {@code cat}, {@code wc}, {@code sleep}, {@code
 * date} and {@code id}, and an {@code /etc/passwd}.
 */
public abstract class GuestAgentContract {

  /** A new connection to the agent of a running environment; each check closes its own. */
  protected abstract GuestAgent connect() throws Exception;

  protected GuestAgent agent;

  @BeforeEach
  void connectAgent() throws Exception {
    agent = connect();
  }

  @AfterEach
  void closeAgent() {
    if (agent != null) {
      agent.close();
    }
  }

  @Test
  void pingSaysWhoAnswers() throws Exception {
    AgentInfo info = agent.ping(Duration.ofSeconds(10));
    assertFalse(info.version().isBlank());
    assertFalse(info.kernelRelease().isBlank());
    assertTrue(info.environmentReady(), "environment disk mounted");
    assertTrue(info.uptime().compareTo(info.readyAfter()) >= 0, info.toString());
  }

  @Test
  void execKeepsStdoutStderrAndTheExitStatusApart() throws Exception {
    Result r = run(ProcessSpec.of("sh", "-c", "echo out; echo err >&2; exit 3"), new byte[0]);
    assertEquals(3, r.status);
    assertEquals("out\n", r.stdout);
    assertEquals("err\n", r.stderr);
    assertEquals(0, run(ProcessSpec.of("true"), new byte[0]).status);
    assertEquals(137, run(ProcessSpec.of("sh", "-c", "kill -9 $$"), new byte[0]).status, "128 + signal");
  }

  @Test
  void aProgramThatDoesNotExistFailsToStartWithNotFound() {
    AgentException e = assertThrows(AgentException.class,
        () -> agent.exec(ProcessSpec.of("no-such-program"), OutputStream.nullOutputStream(),
            OutputStream.nullOutputStream()));
    assertEquals(AgentException.Code.NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("no-such-program"), e.getMessage());
  }

  @Test
  void closingStdinIsEndOfFile() throws Exception {
    assertEquals("0\n", run(ProcessSpec.of("wc", "-c"), new byte[0]).stdout, "nothing written, then EOF");
    Result cat = run(ProcessSpec.of("sh", "-c", "cat; echo after-eof"),
        "hello\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(0, cat.status);
    assertEquals("hello\nafter-eof\n", cat.stdout);
  }

  @Test
  void fourMebibytesOfBinaryThroughCatComeBackByteExact() throws Exception {
    byte[] data = new byte[4 << 20];
    new Random(42).nextBytes(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession cat = agent.exec(ProcessSpec.of("cat"), out, err)) {
      try (OutputStream stdin = cat.stdin()) {
        for (int off = 0; off < data.length; off += 64 << 10) {
          stdin.write(data, off, Math.min(64 << 10, data.length - off));
        }
      }
      assertEquals(0, cat.waitFor(), err.toString(StandardCharsets.UTF_8));
    }
    assertEquals(data.length, out.size());
    assertArrayEquals(data, out.toByteArray());
  }

  @Test
  void statDescribesFilesDirectoriesAndLinks() throws Exception {
    assertTrue(agent.stat("/tmp", true).isDirectory());
    FileStat sh = agent.stat("/bin/sh", false);
    assertTrue(sh.isSymbolicLink(), sh.toString());
    assertEquals("busybox", sh.linkTarget());
    assertTrue(agent.stat("/bin/sh", true).isRegularFile(), "followed to busybox");
    AgentException missing = assertThrows(AgentException.class, () -> agent.stat("/no/such/file", true));
    assertEquals(AgentException.Code.NOT_FOUND, missing.code());
  }

  @Test
  void copyInThenCopyOutRoundTrips() throws Exception {
    byte[] data = new byte[(1 << 20) + 123];
    new Random(5).nextBytes(data);
    String path = "/tmp/contract-" + getClass().getSimpleName();
    assertEquals(data.length, agent.copyIn(new ByteArrayInputStream(data), path, 0640, 0, 0));
    FileStat st = agent.stat(path, true);
    assertTrue(st.isRegularFile());
    assertEquals(data.length, st.size());
    assertEquals(0640, st.permissions());
    assertEquals(0, st.uid());
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    assertEquals(data.length, agent.copyOut(path, back).size());
    assertArrayEquals(data, back.toByteArray());
    assertEquals(AgentException.Code.NOT_FOUND, assertThrows(AgentException.class,
        () -> agent.copyIn(new ByteArrayInputStream(data), "/no/such/dir/x", 0644, 0, 0)).code());
    assertEquals(0, run(ProcessSpec.of("rm", "-f", path), new byte[0]).status);
  }

  @Test
  void describeEnvironmentReportsAReadyEnvironment() throws Exception {
    EnvironmentInfo env = agent.describeEnvironment();
    assertTrue(env.ready(), env.toString());
    assertTrue(env.generatedFiles().contains("/etc/hostname"), env.toString());
  }

  @Test
  void listProcessesShowsInitAndAProcessStartedByExec() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ExecSession sleeper = agent.exec(ProcessSpec.of("sleep", "60"), out, out)) {
      List<GuestProcess> processes = agent.listProcesses();
      assertTrue(processes.stream().anyMatch(p -> p.pid() == 1), "PID 1 listed");
      GuestProcess listed = processes.stream().filter(p -> p.pid() == sleeper.pid()).findFirst()
          .orElseThrow(() -> new AssertionError("pid " + sleeper.pid() + " not in " + processes));
      assertEquals(List.of("sleep", "60"), listed.args());
      assertTrue(listed.execSession() && listed.fromExec(), listed.toString());
      sleeper.signal(15);
      assertEquals(143, sleeper.waitFor());
    }
  }

  @Test
  void ensureUserCreatesOnceThenLeavesTheUserAlone() throws Exception {
    NewUser user = NewUser.of("contract", 4321, 4321);
    GuestUser first = agent.ensureUser(user);
    assertEquals(4321, first.uid());
    assertFalse(agent.ensureUser(user).created(), "idempotent");
    assertEquals("4321\n", run(ProcessSpec.of("id", "-u", "contract"), new byte[0]).stdout);
  }

  @Test
  void setTimeMovesTheGuestClockAndReportsTheOffset() throws Exception {
    try {
      agent.setTime(Instant.now().minusSeconds(1000));
      assertGuestClockNear(Instant.now().getEpochSecond() - 1000);
      Duration offset = agent.setTime(Instant.now());
      assertTrue(Math.abs(offset.toSeconds() + 1000) <= 3, "offset before the reset: " + offset);
      assertGuestClockNear(Instant.now().getEpochSecond());
    } finally {
      agent.setTime(Instant.now());
    }
  }

  @Test
  void eventsReportTheExitOfAProcessStartedByExec() throws Exception {
    List<GuestEvent> events = new CopyOnWriteArrayList<>();
    try (EventSubscription sub = agent.events(events::add)) {
      int pid;
      try (ExecSession p = agent.exec(ProcessSpec.of("sh", "-c", "exit 4"),
          OutputStream.nullOutputStream(), OutputStream.nullOutputStream())) {
        pid = p.pid();
        p.stdin().close();
        assertEquals(4, p.waitFor());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      GuestEvent.ProcessExited exited = null;
      while (exited == null && System.nanoTime() < deadline) {
        exited = events.stream().filter(GuestEvent.ProcessExited.class::isInstance)
            .map(GuestEvent.ProcessExited.class::cast).filter(e -> e.pid() == pid).findFirst().orElse(null);
        Thread.sleep(50);
      }
      assertTrue(exited != null, "no exit event for pid " + pid + " within 30 s; saw " + events);
      assertEquals(4, exited.status());
      assertTrue(sub.isActive());
    }
  }

  // ---- helpers ----

  protected record Result(int status, String stdout, String stderr) {}

  /** Runs {@code spec} with {@code stdin} (then EOF) and waits for it. */
  protected Result run(ProcessSpec spec, byte[] stdin) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession session = agent.exec(spec, out, err)) {
      try (OutputStream in = session.stdin()) {
        in.write(stdin);
      }
      int status = session.waitFor();
      return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  private void assertGuestClockNear(long expected) throws Exception {
    Result r = run(ProcessSpec.of("date", "+%s"), new byte[0]);
    assertEquals(0, r.status, r.stderr);
    long skew = Long.parseLong(r.stdout.strip()) - expected;
    assertTrue(Math.abs(skew) <= 3, "guest clock " + r.stdout.strip() + ", expected " + expected);
  }
}
