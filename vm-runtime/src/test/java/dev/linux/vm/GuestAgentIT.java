package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.internal.MalformedRequests;
import dev.linux.vm.testing.BootedVm;
import dev.linux.vm.testing.TestDisks;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * vminitd's guest API and its robustness on one real booted VM (busybox environment with a
 * passwd, a group and a wsl.conf), shared by the tests. Each test has a connection of its own and
 * sets up what it needs, so they run in any order; only the last one is ordered: it stops the VM
 * and checks the disk.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestAgentIT {
  private BootedVm booted;
  private Path work;
  private VmSpec spec;
  private VirtualMachine vm;
  /** This test's own connection (tests may close it and open another). */
  private GuestAgent agent;

  @BeforeAll
  void boot() throws Exception {
    booted = BootedVm.named("agentit").boot(DISK::build);
    work = booted.work();
    spec = booted.spec();
    vm = booted.vm();
  }

  @BeforeEach
  void connect() throws Exception {
    agent = vm.connectAgent();
  }

  @AfterEach
  void disconnect() {
    if (agent != null) {
      agent.close();
      agent = null;
    }
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (booted != null) {
      booted.close();
    }
  }

  @Test
  void pingReportsTheAgentsBoundedMemory() throws Exception {
    AgentInfo info = agent.ping(Duration.ofSeconds(10));
    System.err.printf("[agent] heap %d KiB, sys %d KiB, %d goroutines, limit %d MiB%n",
        info.agentHeapBytes() >> 10, info.agentSysBytes() >> 10, info.agentGoroutines(),
        info.agentMemoryLimitBytes() >> 20);
    assertTrue(info.agentHeapBytes() > 0 && info.agentSysBytes() >= info.agentHeapBytes());
    assertTrue(info.agentGoroutines() > 0);
    assertEquals(64L << 20, info.agentMemoryLimitBytes());
  }

  @Test
  void startErrorsAreClearAndTheNextRequestWorks() throws Exception {
    AgentException missing = startError(ProcessSpec.of("no-such-binary"));
    assertEquals(AgentException.Code.NOT_FOUND, missing.code());
    assertTrue(missing.getMessage().contains("no-such-binary"), missing.getMessage());
    assertOk();

    AgentException cwd = startError(new ProcessSpec(List.of("true"), List.of(), "/no/such/dir", 0, 0, List.of(), false, 0, 0));
    assertEquals(AgentException.Code.FAILED_PRECONDITION, cwd.code());
    assertTrue(cwd.getMessage().contains("/no/such/dir"), cwd.getMessage());
    assertOk();

    // An unknown user is a bad argument, not a missing program (which the CLI reports as 127).
    AgentException user = startError(ProcessSpec.of("id").withUser("nobody-such"));
    assertEquals(AgentException.Code.INVALID_ARGUMENT, user.code());
    assertTrue(user.getMessage().contains("nobody-such"), user.getMessage());
    assertOk();

    String big = "BIG=" + "x".repeat(2 << 20);
    AgentException env = startError(new ProcessSpec(List.of("true"), List.of(big), "", 0, 0, List.of(), false, 0, 0));
    assertEquals(AgentException.Code.INVALID_ARGUMENT, env.code());
    assertTrue(env.getMessage().contains("limit"), env.getMessage());
    assertOk();

    // Beyond the agent's message limit: rejected by gRPC itself, and the connection survives.
    String huge = "HUGE=" + "y".repeat(10 << 20);
    AgentException tooBig = startError(new ProcessSpec(List.of("true"), List.of(huge), "", 0, 0, List.of(), false, 0, 0));
    System.err.println("[agent] 10 MiB environment: " + tooBig.code() + ": " + tooBig.getMessage());
    assertOk();

    AgentException nul = startError(ProcessSpec.of("echo", "a\0b"));
    assertEquals(AgentException.Code.INVALID_ARGUMENT, nul.code());
    assertOk();
  }

  @Test
  void malformedRequestsFailClearlyAndTheAgentServesOn() throws Exception {
    agent.close();
    agent = null;
    Status invalid = MalformedRequests.rawUnary(spec.agentSocket(), "linux.agent.v1.GuestAgent/Ping",
        new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    System.err.println("[agent] invalid protobuf: " + invalid);
    assertEquals(Status.Code.INTERNAL, invalid.getCode());
    assertTrue(invalid.getDescription().contains("unmarshal"), invalid.getDescription());

    Status unknown = MalformedRequests.rawUnary(spec.agentSocket(), "linux.agent.v1.GuestAgent/NoSuchCall", new byte[0]);
    assertEquals(Status.Code.UNIMPLEMENTED, unknown.getCode());

    MalformedRequests.garbageBytes(spec.agentSocket(), 1);
    Thread.sleep(1000);
    MalformedRequests.garbageFrames(spec.agentSocket(), 2);
    Thread.sleep(1000);
    agent = vm.connectAgent();
    assertOk();
    assertTrue(agent.ping(Duration.ofSeconds(10)).environmentReady());
  }

  @Test
  void threeHundredOrphansLeaveNoZombie() throws Exception {
    Result r = run(ProcessSpec.of("sh", "-c",
        "i=0; while [ $i -lt 300 ]; do (sleep 3 &); i=$((i+1)); done; echo started"));
    assertEquals(0, r.status, r.stderr);
    long orphans = agent.listProcesses().stream()
        .filter(p -> p.ppid() == 1 && p.args().contains("sleep")).count();
    System.err.println("[agent] orphaned sleeps adopted by PID 1 right after the loop: " + orphans);
    assertTrue(orphans > 0, "the sleeps were orphaned to PID 1");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    String zombies;
    while (true) {
      Result z = run(ProcessSpec.of("sh", "-c",
          "echo $(cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ') $(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -o 'sleep [3]' | wc -l)"));
      zombies = z.stdout.strip();
      if (zombies.equals("0 0") || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(500);
    }
    assertEquals("0 0", zombies, "zombies and sleeps left");
    assertTrue(agent.listProcesses().stream().noneMatch(GuestProcess::isZombie));
  }

  @Test
  void fiftyConcurrentProcessesKeepTheirOutputsAndStatuses() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      List<Future<Result>> results = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String n = Integer.toString(i);
        results.add(pool.submit(() -> run(ProcessSpec.of("sh", "-c",
            "sleep 1; echo out-$1; echo err-$1 >&2; exit $(($1 % 50))", "sh", n))));
      }
      for (int i = 0; i < 50; i++) {
        Result r = results.get(i).get();
        assertEquals(i, r.status, "process " + i);
        assertEquals("out-" + i + "\n", r.stdout);
        assertEquals("err-" + i + "\n", r.stderr);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void signals() throws Exception {
    assertEquals(143, run(ProcessSpec.of("sh", "-c", "kill -TERM $$; sleep 5")).status);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ExecSession sleeper = agent.exec(ProcessSpec.of("sleep", "60"), out, out)) {
      GuestProcess listed = agent.listProcesses().stream()
          .filter(p -> p.pid() == sleeper.pid()).findFirst().orElseThrow();
      assertTrue(listed.execSession());
      assertEquals(List.of("sleep", "60"), listed.args());
      sleeper.signalProcess(15);
      assertEquals(143, sleeper.waitFor());
    }
    try (ExecSession group = agent.exec(ProcessSpec.of("sh", "-c", "sleep 60; exit 3"), out, out)) {
      Thread.sleep(300);
      group.signal(9);
      assertEquals(137, group.waitFor());
    }
  }

  @Test
  void aPtyResizeIsSeenByStty() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ExecSession tty = agent.exec(
        ProcessSpec.of("sh", "-c", "stty size; read line; stty size").withTty(24, 80), out, out)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!out.toString(StandardCharsets.UTF_8).contains("24 80") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      tty.resize(40, 132);
      tty.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
      tty.stdin().flush();
      assertEquals(0, tty.waitFor());
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("24 80") && text.contains("40 132"), text);
  }

  @Test
  void processesOfADisconnectedSessionGetSighup() throws Exception {
    GuestAgent other = agentReconnected();
    other.exec(ProcessSpec.of("sh", "-c", "trap 'echo hup > /tmp/hup; exit 0' HUP; while true; do sleep 0.2; done"),
        OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
    Thread.sleep(500);
    other.close();
    agent = vm.connectAgent();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Result r;
    do {
      Thread.sleep(200);
      r = run(ProcessSpec.of("sh", "-c", "cat /tmp/hup 2>/dev/null"));
    } while (!r.stdout.equals("hup\n") && System.nanoTime() < deadline);
    assertEquals("hup\n", r.stdout);
  }

  @Test
  void usersByNameAndCreatedUsers() throws Exception {
    Result alice = run(ProcessSpec.of("sh", "-c", "id -u; id -g; id -G; echo $HOME $USER $LOGNAME $SHELL; pwd").withUser("alice"));
    assertEquals(0, alice.status, alice.stderr);
    assertEquals(List.of("1000", "1000", "1000 10", "/home/alice alice alice /bin/sh", "/home/alice"), alice.stdout.lines().toList());
    assertEquals("0:20\n", run(ProcessSpec.of("sh", "-c", "echo $(id -u):$(id -g)").withUser("0:20")).stdout);

    GuestUser bob = agent.ensureUser(NewUser.of("bob", 1001, 1001));
    assertTrue(bob.created());
    assertEquals("/home/bob", bob.home());
    assertEquals("/bin/sh", bob.shell(), "no bash and no useradd defaults in this image");
    assertFalse(bob.sudo(), "no sudo in this image");
    assertFalse(agent.ensureUser(NewUser.of("bob", 1001, 1001)).created(), "idempotent");
    AgentException taken = assertThrows(AgentException.class, () -> agent.ensureUser(NewUser.of("carol", 1000, 1000)));
    assertEquals(AgentException.Code.FAILED_PRECONDITION, taken.code());

    Result id = run(ProcessSpec.of("id", "bob"));
    assertEquals("uid=1001(bob) gid=1001(bob) groups=1001(bob)\n", id.stdout);
    Result home = run(ProcessSpec.of("sh", "-c", "pwd; ls -lnd . | tr -s ' ' | cut -d' ' -f3,4 2>/dev/null; touch x 2>/dev/null; echo $?").withUser("bob"));
    assertTrue(home.stdout.startsWith("/home/bob\n"), home.stdout);
  }

  @Test
  void theEnvironmentIsPreparedAndRootedInItsOwnNamespace() throws Exception {
    EnvironmentInfo env = agent.describeEnvironment();
    assertTrue(env.ready());
    assertEquals(Optional.of("alice"), env.defaultUser());
    assertFalse(env.automount());
    assertFalse(env.systemd(), "an invalid value keeps the default");
    String problem = "/etc/wsl.conf line 5: [boot] systemd = \"ture\" is not a boolean (true or false); using false";
    assertEquals(List.of(problem), env.configProblems());
    assertTrue(Files.readString(booted.consoleLog()).contains("vminitd: " + problem), "logged on the console");
    assertTrue(env.generatedFiles().containsAll(List.of("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")), env.generatedFiles().toString());
    Result files = run(ProcessSpec.of("sh", "-c", "cat /etc/hostname /etc/resolv.conf /etc/hosts"));
    assertTrue(files.stdout.startsWith("agentit\n"), files.stdout);
    assertTrue(files.stdout.contains("nameserver 10.0.2.3"), files.stdout);
    assertTrue(files.stdout.contains("127.0.1.1\tagentit"), files.stdout);

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (agent.describeEnvironment().bootCommandStatus() == -1 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(0, agent.describeEnvironment().bootCommandStatus());
    assertEquals("booted\n", run(ProcessSpec.of("cat", "/run/boot-ran")).stdout);

    Result mounts = run(ProcessSpec.of("cat", "/proc/self/mountinfo"));
    List<String> lines = mounts.stdout.lines().toList();
    System.err.println("[agent] environment mounts:\n" + mounts.stdout);
    assertTrue(lines.get(0).contains(" / / ") && lines.get(0).contains(" - ext4 "), lines.get(0));
    assertTrue(lines.stream().noneMatch(l -> l.contains("rootfs") || l.contains("/run/env")), mounts.stdout);
    for (String m : List.of("/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm", "/run", "/tmp")) {
      assertTrue(lines.stream().anyMatch(l -> l.split(" ")[4].equals(m)), m + " mounted:\n" + mounts.stdout);
    }
    assertEquals("/\n", run(ProcessSpec.of("readlink", "/proc/self/root")).stdout);
    assertNotEquals(0, run(ProcessSpec.of("ls", "/init")).status, "the initramfs is out of reach");
  }

  @Test
  void filesCopyInAndOutAndStat() throws Exception {
    byte[] data = new byte[(1 << 20) + 123];
    new Random(5).nextBytes(data);
    assertEquals(data.length, agent.copyIn(new ByteArrayInputStream(data), "/tmp/blob", 0600, 1000, 1000));
    FileStat st = agent.stat("/tmp/blob", true);
    assertTrue(st.isRegularFile());
    assertEquals(data.length, st.size());
    assertEquals(0600, st.permissions());
    assertEquals(1000, st.uid());
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    assertEquals(data.length, agent.copyOut("/tmp/blob", back).size());
    assertArrayEquals(data, back.toByteArray());
    assertTrue(agent.stat("/tmp", true).isDirectory());
    assertTrue(agent.stat("/bin/sh", false).isSymbolicLink());
    assertEquals(AgentException.Code.NOT_FOUND, assertThrows(AgentException.class, () -> agent.stat("/nope", true)).code());
    assertEquals(AgentException.Code.FAILED_PRECONDITION,
        assertThrows(AgentException.class, () -> agent.copyOut("/tmp", OutputStream.nullOutputStream())).code());
    assertEquals(AgentException.Code.NOT_FOUND,
        assertThrows(AgentException.class, () -> agent.copyIn(new ByteArrayInputStream(data), "/nodir/x", 0644, 0, 0)).code());
    assertOk();
  }

  @Test
  void exportRootIsATarOfTheRootFileSystemOnly() throws Exception {
    Path tarFile = work.resolve("export.tar");
    long n;
    try (OutputStream out = Files.newOutputStream(tarFile)) {
      n = agent.exportRoot(out);
    }
    assertEquals(Files.size(tarFile), n);
    List<String> names = List.of(CpioWriterIT.run(work, "tar", "-tf", tarFile.toString()).split("\n"));
    assertTrue(names.containsAll(List.of("bin/busybox", "etc/passwd", "etc/hosts", "home/alice/", "proc/", "tmp/")), names.toString());
    assertTrue(names.stream().noneMatch(s -> s.startsWith("proc/") && s.length() > 5), "nothing of /proc");
    assertTrue(names.stream().noneMatch(s -> s.startsWith("tmp/") && s.length() > 4), "nothing of the /tmp tmpfs");
    String listing = CpioWriterIT.run(work, "tar", "--numeric-owner", "-tvf", tarFile.toString(), "home/alice/");
    assertTrue(listing.contains(" 1000/0 "), listing);
  }

  @Test
  void theGuestClockFollowsTheHost() throws Exception {
    // waitUntilReady set the clock; move it away and back through the API.
    assertGuestClockNear(Instant.now().getEpochSecond());
    agent.setTime(Instant.now().minusSeconds(1000));
    assertGuestClockNear(Instant.now().getEpochSecond() - 1000);
    Duration offset = agent.setTime(Instant.now());
    assertTrue(Math.abs(offset.toSeconds() + 1000) <= 2, "offset before resync: " + offset);
    long skew = assertGuestClockNear(Instant.now().getEpochSecond());
    System.err.println("[agent] guest clock minus host after SetTime: " + skew + " s");
  }

  private long assertGuestClockNear(long expected) throws Exception {
    Result r = run(ProcessSpec.of("date", "+%s"));
    assertEquals(0, r.status, r.stderr);
    long skew = Long.parseLong(r.stdout.strip()) - expected;
    assertTrue(Math.abs(skew) <= 2, "guest clock " + r.stdout.strip() + ", expected " + expected);
    return skew;
  }

  @Test
  void entropyComesFromVirtioRngAndFreedMemoryReturnsToTheHost() throws Exception {
    Result rng = run(ProcessSpec.of("cat", "/sys/devices/virtual/misc/hw_random/rng_current"));
    assertTrue(rng.stdout.contains("virtio"), rng.stdout + rng.stderr);

    long before = qemuRssKib();
    Result fill = run(ProcessSpec.of("dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=200"));
    assertEquals(0, fill.status, fill.stderr);
    long filled = qemuRssKib();
    assertEquals(0, run(ProcessSpec.of("rm", "/dev/shm/fill")).status);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long after = qemuRssKib();
    long grown = filled - before;
    while (filled - after < grown * 3 / 4 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      after = qemuRssKib();
    }
    System.err.printf("[agent] QEMU RSS: %d MiB before, %d MiB with 200 MiB in the guest's /dev/shm, "
        + "%d MiB after freeing (%d MiB returned)%n",
        before / 1024, filled / 1024, after / 1024, (filled - after) / 1024);
    assertTrue(grown > 150 * 1024, "the guest's 200 MiB did not show in QEMU's RSS: +" + grown / 1024 + " MiB");
    assertTrue(filled - after >= grown / 2,
        "freed guest memory did not return: " + filled / 1024 + " -> " + after / 1024 + " MiB");
  }

  private long qemuRssKib() throws Exception {
    return Files.readAllLines(Path.of("/proc", Long.toString(vm.pid()), "status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void eventsReportPortsAndExits() throws Exception {
    List<GuestEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (EventSubscription sub = agent.events(events::add)) {
      ExecSession nc = agent.exec(ProcessSpec.of("nc", "-l", "-p", "8080"),
          OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
      GuestEvent.PortChanged open = awaitEvent(events, GuestEvent.PortChanged.class,
          e -> e.port() == 8080 && e.open());
      assertEquals("tcp", open.protocol());
      nc.signal(15);
      assertEquals(143, nc.waitFor());
      awaitEvent(events, GuestEvent.PortChanged.class, e -> e.port() == 8080 && !e.open());
      GuestEvent.ProcessExited exit = awaitEvent(events, GuestEvent.ProcessExited.class,
          e -> e.pid() == nc.pid());
      assertEquals(143, exit.status());
      assertEquals(15, exit.signal());
      assertEquals(List.of("nc", "-l", "-p", "8080"), exit.args());
      assertTrue(sub.isActive());
      nc.close();
    }
  }

  /** Waits for an event of {@code type} matching {@code match} among all events seen so far. */
  private static <T extends GuestEvent> T awaitEvent(
      List<GuestEvent> events, Class<T> type, java.util.function.Predicate<T> match)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (GuestEvent e : events) {
        if (type.isInstance(e) && match.test(type.cast(e))) {
          System.err.println("[agent] event " + e);
          return type.cast(e);
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no matching " + type.getSimpleName() + " within 30 s; saw " + events);
  }

  @Test
  void aProcessLeftBehindByAnExecStillCountsAsStartedByIt() throws Exception {
    Result r = run(ProcessSpec.of("sh", "-c", "sleep 60 >/dev/null 2>&1 </dev/null & echo $!"));
    assertEquals(0, r.status, r.stderr);
    int pid = Integer.parseInt(r.stdout.strip());
    List<GuestProcess> processes = agent.listProcesses();
    GuestProcess sleeper = processes.stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
    System.err.println("[agent] left behind by its Exec root: " + sleeper);
    assertEquals(List.of("sleep", "60"), sleeper.args());
    assertTrue(sleeper.fromExec() && !sleeper.execSession() && sleeper.keepsEnvironmentBusy(), sleeper.toString());
    GuestProcess init = processes.stream().filter(p -> p.pid() == 1).findFirst().orElseThrow();
    assertFalse(init.fromExec(), init.toString());

    assertEquals(0, run(ProcessSpec.of("sh", "-c", "kill $1", "sh", Integer.toString(pid))).status);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (agent.listProcesses().stream().anyMatch(p -> p.pid() == pid)) {
      assertTrue(System.nanoTime() < deadline, "the killed sleeper is still listed");
      Thread.sleep(100);
    }
  }

  @Test
  @Order(Order.DEFAULT + 1)
  void afterStopTheDiskNeedsNoJournalRecovery() throws Exception {
    // Leave a process writing and a file open when stop comes.
    agent.exec(ProcessSpec.of("sh", "-c", "while true; do echo x >> /root/log; sleep 0.1; done"),
        OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
    Thread.sleep(500);
    agent.close();
    agent = null;
    vm.stop(Duration.ofSeconds(10));
    assertFalse(vm.isRunning());
    String header = CpioWriterIT.run(work, "dumpe2fs", "-h", spec.disk().toString());
    String features = header.lines().filter(l -> l.startsWith("Filesystem features:")).findFirst().orElseThrow();
    assertFalse(features.contains("needs_recovery"), features);
    assertTrue(header.contains("Filesystem state:         clean"), header);
    String fsck = CpioWriterIT.run(work, "e2fsck", "-fn", spec.disk().toString());
    assertFalse(fsck.contains("recovering journal"), fsck);
  }

  // ---- helpers ----

  private GuestAgent agentReconnected() throws AgentException {
    agent.close();
    agent = null;
    return vm.connectAgent();
  }

  private record Result(int status, String stdout, String stderr) {}

  private Result run(ProcessSpec spec) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession session = agent.exec(spec, out, err)) {
      session.stdin().close();
      int status = session.waitFor();
      return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  private AgentException startError(ProcessSpec spec) {
    AgentException e = assertThrows(AgentException.class,
        () -> agent.exec(spec, OutputStream.nullOutputStream(), OutputStream.nullOutputStream()));
    System.err.println("[agent] " + spec.args().get(0) + ": " + e.code() + ": " + e.getMessage());
    return e;
  }

  private void assertOk() throws Exception {
    Result r = run(ProcessSpec.of("echo", "ok"));
    assertEquals(0, r.status);
    assertEquals("ok\n", r.stdout);
  }

  /** A busybox environment with accounts, a wsl.conf and nothing generated yet. */
  private static final TestDisks DISK = TestDisks.busybox()
      .dir("home/alice")
      .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n")
      .file("etc/group", "root:x:0:\nwheel:x:10:alice\nalice:x:1000:\n")
      .file("etc/wsl.conf",
          "[user]\ndefault = alice\n[boot]\ncommand = \"echo booted > /run/boot-ran\"\nsystemd = ture\n"
              + "[automount]\nenabled = false\n")
      .debugfs("set_inode_field /home/alice uid 1000");
}
