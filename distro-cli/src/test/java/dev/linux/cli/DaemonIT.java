package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-user daemon on real VMs, through the real CLI: started on demand with a private
 * socket; 8 parallel sessions × 100 commands multiplexed onto one agent connection; kill -9 of the
 * daemon leaves the VM running and the next command re-adopts it; idle shutdown after the
 * timeout and not before (open sessions and processes left by run keep an environment up); the
 * daemon exits once nothing runs. One busybox environment is shared (TCG boots are slow).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ENV = "dm";
  private static final int SESSIONS = 8;
  private static final int COMMANDS = 100;
  /** How long a daemon with nothing to do lingers in this test (the default is 30 s). */
  private static final int LINGER_SECONDS = 4;

  @TempDir static Path work;
  static CliProcess cli;
  static Path runtimeRoot;

  @BeforeAll
  static void setUp() throws Exception {
    Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    runtimeRoot = Files.createDirectories(work.resolve("run"));
    cli = new CliProcess(System.getProperty("java.class.path"), work.resolve("home"), TestResources.kernelDir(), null)
        .env("XDG_RUNTIME_DIR", runtimeRoot.toString())
        .env("LINUX_DAEMON_LINGER", Integer.toString(LINGER_SECONDS));
    var created = cli.run("create", ENV, "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "256M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    var never = cli.run("set", ENV, "--idle-timeout", "-1");
    assertEquals(0, never.exit(), never.toString());
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("daemon", "stop", "--environments");
      cli.run("rm", "--force", ENV);
    }
    for (long pid : CrashSafetyIT.qemusUnder(runtimeRoot)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Order(1)
  void commandsStartTheDaemonOnAPrivateSocket() throws Exception {
    assertEquals(3, cli.run("daemon", "status").exit(), "no daemon before the first command");
    var run = cli.run("run", ENV, "--", "echo", "first");
    assertEquals(0, run.exit(), run.toString());
    assertEquals("first\n", run.out());

    JsonNode status = status();
    assertTrue(status.get("running").asBoolean(), status.toString());
    assertTrue(ProcessHandle.of(status.get("pid").asLong()).isPresent(), status.toString());
    JsonNode env = managed(status);
    assertEquals("running", env.get("state").asText(), status.toString());
    assertTrue(ProcessHandle.of(env.get("vmPid").asLong()).isPresent(), status.toString());

    Path socket = Path.of(status.get("socket").asText());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

    var text = cli.run("daemon", "status");
    assertEquals(0, text.exit(), text.toString());
    assertTrue(text.out().contains("daemon running: pid " + status.get("pid").asLong()), text.out());
    assertTrue(text.out().contains(ENV), text.out());
  }

  @Test
  @Order(2)
  void eightSessionsOfAHundredCommandsShareOneAgentConnection() throws Exception {
    JsonNode before = status();
    Path socket = Path.of(before.get("socket").asText());
    long vmPid = managed(before).get("vmPid").asLong();
    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(SESSIONS + 2);
    try {
      List<Future<Integer>> sessions = new ArrayList<>();
      for (int s = 0; s < SESSIONS; s++) {
        int session = s;
        sessions.add(pool.submit(() -> runCommands(socket, session)));
      }
      // Real CLI processes at the same time, through the same daemon.
      List<Future<CliProcess.Result>> clis = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        int code = 3 + k;
        clis.add(pool.submit(() -> cli.run(("payload " + code).getBytes(StandardCharsets.UTF_8),
            "run", ENV, "--", "sh", "-c", "cat; echo; exit " + code)));
      }
      int commands = 0;
      for (Future<Integer> session : sessions) {
        commands += session.get(10, TimeUnit.MINUTES);
      }
      assertEquals(SESSIONS * COMMANDS, commands);
      for (int k = 0; k < clis.size(); k++) {
        CliProcess.Result r = clis.get(k).get(5, TimeUnit.MINUTES);
        assertEquals(3 + k, r.exit(), r.toString());
        assertEquals("payload " + (3 + k) + "\n", r.out(), r.toString());
      }
    } finally {
      pool.shutdownNow();
    }
    System.err.printf("daemon: %d sessions x %d commands in %.1f s%n", SESSIONS, COMMANDS,
        (System.nanoTime() - started) / 1e9);
    assertEquals(vmPid, managed(status()).get("vmPid").asLong(), "the VM was restarted meanwhile");
  }

  /** One session: its own connection to the daemon, a hundred commands, each output checked. */
  private static int runCommands(Path socket, int session) throws Exception {
    int done = 0;
    try (GuestAgent agent = AgentChannel.relayed(socket, ENV)) {
      for (int i = 0; i < COMMANDS; i++) {
        String tag = session + "-" + i;
        int expected = (session * COMMANDS + i) % 7;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessSpec spec = ProcessSpec.of("sh", "-c", "echo out-" + tag + "; echo err-" + tag + " >&2; exit " + expected);
        int status;
        try (ExecSession exec = agent.exec(spec, out, err)) {
          exec.stdin().close();
          status = exec.waitFor();
        }
        assertEquals(expected, status, "session " + tag);
        assertEquals("out-" + tag + "\n", out.toString(StandardCharsets.UTF_8), "stdout of " + tag);
        assertEquals("err-" + tag + "\n", err.toString(StandardCharsets.UTF_8), "stderr of " + tag);
        done++;
      }
    }
    return done;
  }

  @Test
  @Order(3)
  void aKilledDaemonLeavesTheVmRunningAndTheNextCommandAdoptsIt() throws Exception {
    JsonNode before = status();
    long daemonPid = before.get("pid").asLong();
    long vmPid = managed(before).get("vmPid").asLong();
    // A guest clock far off, for the adopting daemon to set right.
    var skew = cli.run("run", "-u", "root", ENV, "--", "date", "-s", "2001-09-09 01:46:40");
    assertEquals(0, skew.exit(), skew.toString());

    Process session = new ProcessBuilder(cli.command("run", ENV, "--", "sleep", "30"))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    session.getOutputStream().close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (managed(status()).get("openCalls").asInt() == 0) {
      assertTrue(System.nanoTime() < deadline, "the session never reached the daemon");
      Thread.sleep(200);
    }

    assertEquals(0, TestResources.host("kill", "-9", Long.toString(daemonPid)).exit());
    assertTrue(ProcessHandle.of(daemonPid).map(p -> p.onExit().orTimeout(10, TimeUnit.SECONDS).join()).isPresent()
        || ProcessHandle.of(daemonPid).isEmpty());
    Thread.sleep(1000);
    assertTrue(ProcessHandle.of(vmPid).isPresent(), "the VM died with the daemon");
    assertTrue(session.waitFor(60, TimeUnit.SECONDS), "the open session did not end with its daemon");

    var next = cli.run("run", ENV, "--", "cat", "/proc/uptime");
    assertEquals(0, next.exit(), next.toString());
    double uptime = Double.parseDouble(next.out().split(" ")[0]);
    JsonNode after = status();
    assertNotEquals(daemonPid, after.get("pid").asLong(), "a new daemon serves");
    assertEquals(vmPid, managed(after).get("vmPid").asLong(), "the same VM was adopted, not booted again");
    assertTrue(uptime > 3, "guest uptime " + uptime + " s: it was rebooted");

    long offset = Long.MAX_VALUE;
    for (int i = 0; i < 20 && Math.abs(offset) > 5; i++) {
      var date = cli.run("run", ENV, "--", "date", "+%s");
      assertEquals(0, date.exit(), date.toString());
      offset = Long.parseLong(date.out().strip()) - System.currentTimeMillis() / 1000;
    }
    assertTrue(Math.abs(offset) <= 5, "the adopting daemon left the guest clock " + offset + " s off");
  }

  @Test
  @Order(4)
  void anIdleEnvironmentStopsAfterItsTimeoutAndNotBefore() throws Exception {
    int timeout = 8;
    assertEquals(0, cli.run("set", ENV, "--idle-timeout", Integer.toString(timeout)).exit());

    // An open session keeps the environment up however long it lasts.
    var longSession = cli.run("run", ENV, "--", "sleep", Integer.toString(timeout + 6));
    assertEquals(0, longSession.exit(), longSession.toString());
    assertEquals("running", state(), "stopped under an open session");

    // So does a process that run left behind.
    var background = cli.run("run", ENV, "--", "sh", "-c", "sleep " + (timeout + 6) + " >/dev/null 2>&1 </dev/null &");
    assertEquals(0, background.exit(), background.toString());
    Thread.sleep((timeout + 3) * 1000L);
    assertEquals("running", state(), "stopped while a process started by run was alive");

    // Once nothing runs: not before the timeout, and soon after it, even with `inspect` asking the
    // guest about itself all the while (questions are not sessions).
    var last = cli.run("run", ENV, "--", "sh", "-c", "pkill sleep; true");
    assertEquals(0, last.exit(), last.toString());
    long idleFrom = System.nanoTime();
    long stoppedAfterMillis = -1;
    while (System.nanoTime() - idleFrom < TimeUnit.SECONDS.toNanos(timeout + 30)) {
      if (!inspectedState().equals("running")) {
        stoppedAfterMillis = (System.nanoTime() - idleFrom) / 1_000_000;
        break;
      }
      Thread.sleep(250);
    }
    System.err.println("idle shutdown " + stoppedAfterMillis + " ms after the last command (timeout " + timeout + " s)");
    assertTrue(stoppedAfterMillis >= 0, "still running " + (timeout + 30) + " s after the last command");
    assertTrue(stoppedAfterMillis >= (timeout - 1) * 1000L, "stopped after " + stoppedAfterMillis + " ms, before the timeout");
    String log = Files.readString(work.resolve("home/daemon.log"));
    assertTrue(log.contains(ENV + ": idle for " + timeout + " s; stopping"), log);
  }

  @Test
  @Order(5)
  void concurrentLifecycleCommandsIncludingRemoveAreSafe() throws Exception {
    String race = "race";
    Path image = work.resolve("image");
    var created = cli.run("create", race, "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "128M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    assertEquals(0, cli.run("start", race).exit());
    List<List<String>> commands = List.of(
        List.of("run", race, "--", "echo", "x"),
        List.of("stop", "-t", "1", race),
        List.of("start", race),
        List.of("rm", "--force", race),
        List.of("run", race, "--", "true"),
        List.of("restart", race));
    ExecutorService pool = Executors.newFixedThreadPool(commands.size());
    try {
      List<Future<CliProcess.Result>> results = new ArrayList<>();
      for (List<String> command : commands) {
        results.add(pool.submit(() -> cli.run(command.toArray(String[]::new))));
      }
      for (int i = 0; i < commands.size(); i++) {
        CliProcess.Result r = results.get(i).get(5, TimeUnit.MINUTES);
        String what = String.join(" ", commands.get(i)) + ": " + r;
        System.err.println("race: " + what.replace('\n', ' '));
        assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), what);
        if (r.exit() != 0 && !commands.get(i).get(0).equals("run")) {
          assertTrue(r.stderr().strip().startsWith("linux: ") && r.stderr().strip().lines().count() == 1, what);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    boolean listed = false;
    for (JsonNode row : JSON.readTree(cli.run("list", "--json").stdout())) {
      listed |= row.get("name").asText().equals(race);
    }
    if (listed) {
      var again = cli.run("run", race, "--", "echo", "alive");
      assertEquals("alive\n", again.out(), again.toString());
      assertEquals(0, cli.run("rm", "--force", race).exit());
    }
    assertTrue(Files.notExists(work.resolve("home/environments/" + race)), "removed, yet its directory is left");
    assertTrue(CrashSafetyIT.qemusUnder(runtimeRoot).isEmpty(), "a QEMU outlived its environment");
  }

  @Test
  @Order(6)
  void theDaemonExitsOnceNothingRuns() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LINGER_SECONDS + 20);
    while (cli.run("daemon", "status").exit() == 0) {
      assertTrue(System.nanoTime() < deadline, "the daemon still runs with nothing to do");
      Thread.sleep(500);
    }
    assertTrue(CrashSafetyIT.qemusUnder(runtimeRoot).isEmpty(), "a QEMU is left");
  }

  /** The state as {@code inspect} reports it; of a running environment it asks the guest too. */
  private static String inspectedState() throws Exception {
    var inspect = cli.run("inspect", ENV, "--json");
    assertEquals(0, inspect.exit(), inspect.toString());
    return JSON.readTree(inspect.stdout()).get("state").asText();
  }

  private static String state() throws Exception {
    var list = cli.run("list", "--json");
    assertEquals(0, list.exit(), list.toString());
    for (JsonNode row : JSON.readTree(list.stdout())) {
      if (row.get("name").asText().equals(ENV)) {
        return row.get("state").asText();
      }
    }
    throw new AssertionError(ENV + " not listed: " + list.out());
  }

  private static JsonNode status() throws Exception {
    var status = cli.run("daemon", "status", "--json");
    assertEquals(0, status.exit(), status.toString());
    return JSON.readTree(status.stdout());
  }

  private static JsonNode managed(JsonNode status) {
    for (JsonNode env : status.get("environments")) {
      if (env.get("name").asText().equals(ENV)) {
        return env;
      }
    }
    throw new AssertionError(ENV + " is not run by the daemon: " + status);
  }
}
