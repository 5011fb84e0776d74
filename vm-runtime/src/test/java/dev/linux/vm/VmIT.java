package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Boots one real VM (the Debian cloud kernel, our initramfs with the real vminitd, an EXT4 disk
 * holding a static busybox) and shares it between the tests; the last one stops it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmIT {
  private static final String[] APPLETS = {
    "sh", "cat", "uname", "stty", "echo", "ls", "sleep", "head", "wc", "true", "false", "env", "id",
    "ip", "nc"
  };

  private Path work;
  private VmSpec spec;
  private VirtualMachine vm;
  private GuestKernel kernel;

  @BeforeAll
  void boot() throws Exception {
    work = Files.createTempDirectory("vmit");
    kernel = TestKernels.distributionKernel();
    Path initrd = new InitramfsBuilder(work.resolve("data"), System.err::println).ensure(kernel);
    Path disk = busyboxDisk(work);
    AcceleratorChoice accel = AcceleratorProbe.host().choose();
    System.err.println("[vm] " + accel.notice());
    spec =
        new VmSpec(
            "vmit", kernel.vmlinuz(), initrd, disk, 2, 512 * VmSpec.MIB, accel.accelerator(),
            work.resolve("run"), work.resolve("console.log"), "vmit", extraKernelArgs());
    long t0 = System.nanoTime();
    vm = VirtualMachine.start(spec);
    long started = System.nanoTime();
    AgentInfo info = vm.waitUntilReady(Duration.ofSeconds(90));
    long ready = System.nanoTime();
    System.err.printf(
        "[vm] %s: QEMU started in %d ms, agent ready %d ms after start (guest: agent serving %d ms after kernel start)%n",
        accel.accelerator(), (started - t0) / 1_000_000, (ready - t0) / 1_000_000,
        info.readyAfter().toMillis());
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (vm != null && vm.isRunning()) {
      vm.stop(Duration.ofSeconds(2));
    }
    if (work != null && System.getProperty("linux.test.keep") == null) {
      KernelProvisioner.deleteTree(work);
    }
  }

  @Test
  @Order(1)
  void pingAnswersWithTheGuestsIdentity() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      AgentInfo info = agent.ping(Duration.ofSeconds(5));
      assertEquals(kernel.version(), info.kernelRelease());
      assertTrue(info.environmentReady(), "environment disk mounted");
      assertFalse(info.version().isBlank());
      assertTrue(info.uptime().compareTo(info.readyAfter()) >= 0);
    }
  }

  @Test
  @Order(2)
  void execRunsCommandsAndReportsExitStatus() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      Result uname = run(agent, "uname", "-a");
      assertEquals(0, uname.status);
      assertTrue(uname.stdout.startsWith("Linux vmit " + kernel.version()), uname.stdout);

      assertEquals(7, run(agent, "sh", "-c", "exit 7").status);

      Result err = run(agent, "sh", "-c", "echo out; echo err >&2; exit 3");
      assertEquals(3, err.status);
      assertEquals("out\n", err.stdout);
      assertEquals("err\n", err.stderr);
    }
  }

  @Test
  @Order(3)
  void oneMebibyteThroughCatIsByteExact() throws Exception {
    byte[] data = new byte[1 << 20];
    new Random(42).nextBytes(data);
    try (GuestAgent agent = vm.connectAgent()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      long t0 = System.nanoTime();
      try (ExecSession cat = agent.exec(ProcessSpec.of("cat"), out, err)) {
        assertTrue(cat.pid() > 1);
        try (OutputStream stdin = cat.stdin()) {
          for (int off = 0; off < data.length; off += 50_000) {
            stdin.write(data, off, Math.min(50_000, data.length - off));
          }
        }
        assertEquals(0, cat.waitFor(), err.toString(StandardCharsets.UTF_8));
      }
      System.err.printf("[vm] 1 MiB through cat in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertEquals(data.length, out.size());
      assertArrayEquals(data, out.toByteArray());
    }
  }

  @Test
  @Order(4)
  void unknownProgramFailsToStart() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      AgentException e =
          assertThrows(
              AgentException.class,
              () -> agent.exec(ProcessSpec.of("no-such-program"), OutputStream.nullOutputStream(),
                  OutputStream.nullOutputStream()));
      System.err.println("[vm] start error: " + e.code() + ": " + e.getMessage());
      assertTrue(e.getMessage().contains("no-such-program"), e.getMessage());
    }
  }

  @Test
  @Order(5)
  void findReattachesToTheRunningVm() throws Exception {
    VirtualMachine found = VirtualMachine.find(spec.runtimeDir()).orElseThrow();
    assertEquals(vm.pid(), found.pid());
    assertTrue(found.isRunning());
    assertEquals(spec.consoleLog(), found.consoleLog().orElseThrow());
    try (GuestAgent agent = found.connectAgent()) {
      assertEquals(kernel.version(), agent.ping(Duration.ofSeconds(5)).kernelRelease());
    }
  }

  @Test
  @Order(6)
  void secondStartOfTheSameVmIsRefused() {
    VmException e = assertThrows(VmException.class, () -> VirtualMachine.start(spec));
    assertTrue(e.getMessage().contains("already running"), e.getMessage());
  }

  /**
   * Rapid reconnects on the one virtio-serial stream, some abandoning an Exec while the guest is
   * streaming megabytes (the guest then writes on after the host left, and QEMU hands those bytes
   * to the next connection): every connection must start clean thanks to the session hello.
   */
  @Test
  @Order(7)
  void rapidReconnectsWithAbandonedStreamsStayClean() throws Exception {
    byte[] big = new byte[4 << 20];
    new Random(7).nextBytes(big);
    try (GuestAgent agent = vm.connectAgent()) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      try (ExecSession write =
          agent.exec(ProcessSpec.of("sh", "-c", "cat > /tmp/big"), OutputStream.nullOutputStream(), err)) {
        try (OutputStream stdin = write.stdin()) {
          stdin.write(big);
        }
        assertEquals(0, write.waitFor(), err.toString(StandardCharsets.UTF_8));
      }
    }
    long[] connectMicros = new long[20];
    int abandoned = 0;
    for (int i = 0; i < 20; i++) {
      long t0 = System.nanoTime();
      GuestAgent agent = vm.connectAgent();
      connectMicros[i] = (System.nanoTime() - t0) / 1000;
      try {
        if (i % 3 == 1) {
          // Abandon a `cat` of 4 MiB mid-stream by closing the connection under it.
          CountingStream out = new CountingStream();
          ExecSession cat = agent.exec(ProcessSpec.of("cat", "/tmp/big"), out, OutputStream.nullOutputStream());
          long wait = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (out.count() < (64 << 10) && System.nanoTime() < wait) {
            Thread.sleep(2);
          }
          assertTrue(out.count() > 0, "cycle " + i + ": cat streamed nothing");
          assertTrue(out.count() < big.length, "cycle " + i + ": cat finished before the close");
          abandoned++;
        } else {
          Result r = run(agent, "sh", "-c", "echo cycle " + i + "; head -c 30000 /tmp/big | wc -c; echo done >&2");
          assertEquals(0, r.status, "cycle " + i);
          assertEquals(List.of("cycle " + i, "30000"), r.stdout.lines().map(String::strip).toList());
          assertEquals("done\n", r.stderr);
        }
      } finally {
        agent.close();
      }
    }
    java.util.Arrays.sort(connectMicros);
    System.err.printf(
        "[vm] 20 reconnects (%d abandoning a stream): connect + first ping median %.1f ms, max %.1f ms%n",
        abandoned, connectMicros[10] / 1000.0, connectMicros[19] / 1000.0);

    try (GuestAgent agent = vm.connectAgent()) {
      long t0 = System.nanoTime();
      agent.ping(Duration.ofSeconds(5));
      System.err.printf("[vm] warm ping %.2f ms%n", (System.nanoTime() - t0) / 1e6);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      try (ExecSession cat = agent.exec(ProcessSpec.of("cat", "/tmp/big"), out, err)) {
        cat.stdin().close();
        assertEquals(0, cat.waitFor(), err.toString(StandardCharsets.UTF_8));
      }
      assertEquals(big.length, out.size());
      assertArrayEquals(big, out.toByteArray());
    }
  }

  /** Counts what it is given; thread-safe enough for one writer and one reader. */
  private static final class CountingStream extends OutputStream {
    private final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void write(int b) {
      count.incrementAndGet();
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count.addAndGet(len);
    }

    long count() {
      return count.get();
    }
  }

  /**
   * QEMU's user-mode network as vminitd configured it: eth0 with the spec's MAC, 10.0.2.15/24,
   * MTU 1500, a default route via 10.0.2.2, lo up, resolv.conf naming 10.0.2.3; and a TCP server
   * on the host's loopback reached from the guest at 10.0.2.2 (the only traffic tests may make).
   */
  @Test
  @Order(8)
  void guestIsOnTheUserNetworkAndReachesTheHostsLoopback() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      assertEquals(List.of(), agent.describeEnvironment().configProblems());
      assertEquals("eth0 lo", run(agent, "ls", "/sys/class/net").stdout.strip().replaceAll("\\s+", " "));
      assertEquals(spec.macAddress(), run(agent, "cat", "/sys/class/net/eth0/address").stdout.strip());
      assertEquals("1500", run(agent, "cat", "/sys/class/net/eth0/mtu").stdout.strip());
      String addr = run(agent, "ip", "-4", "addr", "show", "dev", "eth0").stdout;
      assertTrue(addr.contains("inet 10.0.2.15/24 brd 10.0.2.255"), addr);
      assertTrue(addr.contains(",UP,LOWER_UP>"), addr);
      assertEquals("up", run(agent, "cat", "/sys/class/net/eth0/operstate").stdout.strip());
      String lo = run(agent, "ip", "-4", "addr", "show", "dev", "lo").stdout;
      assertTrue(lo.contains("inet 127.0.0.1/8") && lo.contains("UP"), lo);
      // /proc/net/route: Iface Destination Gateway ... in little-endian hex (10.0.2.2 = 0202000A).
      String routes = run(agent, "cat", "/proc/net/route").stdout;
      assertTrue(routes.lines().anyMatch(l -> l.matches("eth0\\s+00000000\\s+0202000A\\s.*")), routes);
      Result ipRoute = run(agent, "ip", "route", "show");
      System.err.print("[vm] guest routes (ip route show, status " + ipRoute.status + "):\n" + ipRoute.stdout + ipRoute.stderr);
      String resolv = run(agent, "cat", "/etc/resolv.conf").stdout;
      assertTrue(resolv.contains("\nnameserver 10.0.2.3\n"), resolv);
      String hosts = run(agent, "cat", "/etc/hosts").stdout;
      assertTrue(hosts.contains("127.0.0.1\tlocalhost\n") && hosts.contains("\tvmit\n"), hosts);

      try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        server.setSoTimeout(30_000);
        int port = server.getLocalPort();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
          Future<String> received =
              pool.submit(
                  () -> {
                    try (Socket s = server.accept()) {
                      s.setSoTimeout(30_000);
                      var in = new java.io.BufferedReader(
                          new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                      String line = in.readLine();
                      s.getOutputStream().write(("host saw " + line.length() + " bytes\n").getBytes(StandardCharsets.UTF_8));
                      return line + " from " + s.getInetAddress().getHostAddress();
                    }
                  });
          long t0 = System.nanoTime();
          Result nc = run(agent, "sh", "-c", "echo hello from the guest | nc 10.0.2.2 " + port);
          System.err.printf("[vm] guest -> host 127.0.0.1:%d through 10.0.2.2 in %d ms%n", port,
              (System.nanoTime() - t0) / 1_000_000);
          assertEquals(0, nc.status, nc.stderr);
          assertEquals("host saw 20 bytes\n", nc.stdout);
          assertEquals("hello from the guest from 127.0.0.1", received.get(30, TimeUnit.SECONDS));
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  @Test
  @Order(10)
  void stopShutsDownCleanly() throws Exception {
    long t0 = System.nanoTime();
    vm.stop(Duration.ofSeconds(5));
    System.err.printf("[vm] stopped in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    assertFalse(vm.isRunning());
    assertFalse(QemuProcess.isAlive(vm.pid()));
    assertFalse(Files.exists(spec.pidFile()));
    assertFalse(Files.exists(spec.agentSocket()));
    assertTrue(VirtualMachine.find(spec.runtimeDir()).isEmpty());
    String fsck = CpioWriterIT.run(work, "e2fsck", "-fn", spec.disk().toString());
    assertTrue(fsck.contains("clean") || fsck.contains("Pass 5"), fsck);
  }

  /**
   * A second boot of the same disk without a network: the guest has only lo (up), no route, no
   * problem reported. With {@code -Dlinux.test.bootTimes=N} it then boots N more times with and
   * without the network and prints the medians (QEMU start to agent ready, and to a first command).
   */
  @Test
  @Order(11)
  void withoutNetworkTheGuestHasOnlyLoopback() throws Exception {
    long[] t = bootAndCheck(NetworkMode.NONE, true);
    System.err.printf("[vm] NONE: agent ready %d ms, first command %d ms after start%n", t[0], t[1]);
    int n = Integer.getInteger("linux.test.bootTimes", 0);
    if (n > 0) {
      java.util.Map<NetworkMode, long[][]> times = new java.util.EnumMap<>(NetworkMode.class);
      for (NetworkMode mode : NetworkMode.values()) {
        times.put(mode, new long[2][n]);
      }
      for (int i = 0; i < n; i++) {
        for (NetworkMode mode : List.of(NetworkMode.USER, NetworkMode.NONE)) {
          long[] r = bootAndCheck(mode, false);
          times.get(mode)[0][i] = r[0];
          times.get(mode)[1][i] = r[1];
          System.err.printf("[vm] boot %d %s: ready %d ms, first command %d ms%n", i, mode, r[0], r[1]);
        }
      }
      for (NetworkMode mode : NetworkMode.values()) {
        long[][] m = times.get(mode);
        java.util.Arrays.sort(m[0]);
        java.util.Arrays.sort(m[1]);
        System.err.printf("[vm] %s over %d boots: agent ready median %d ms (min %d, max %d), first command median %d ms (min %d, max %d)%n",
            mode, n, m[0][n / 2], m[0][0], m[0][n - 1], m[1][n / 2], m[1][0], m[1][n - 1]);
      }
    }
  }

  /** Boots the stopped test disk with {@code mode}; returns ms from start to agent ready and to a first command's exit. */
  private long[] bootAndCheck(NetworkMode mode, boolean check) throws Exception {
    String name = "vmit-" + mode.name().toLowerCase(java.util.Locale.ROOT);
    VmSpec other =
        new VmSpec(name, spec.kernel(), spec.initrd(), spec.disk(), spec.cpus(), spec.memoryBytes(),
            spec.accelerator(), work.resolve(name), work.resolve(name + ".log"), "vmit", spec.kernelArgs(), mode);
    long t0 = System.nanoTime();
    VirtualMachine second = VirtualMachine.start(other);
    try {
      second.waitUntilReady(Duration.ofSeconds(90));
      long ready = (System.nanoTime() - t0) / 1_000_000;
      try (GuestAgent agent = second.connectAgent()) {
        assertEquals(0, run(agent, "true").status);
        long first = (System.nanoTime() - t0) / 1_000_000;
        if (check && mode == NetworkMode.NONE) {
          assertEquals(List.of(), agent.describeEnvironment().configProblems());
          assertEquals("lo", run(agent, "ls", "/sys/class/net").stdout.strip());
          String lo = run(agent, "ip", "-4", "addr", "show", "dev", "lo").stdout;
          assertTrue(lo.contains("inet 127.0.0.1/8") && lo.contains("UP"), lo);
          assertEquals(1, run(agent, "cat", "/proc/net/route").stdout.lines().count(), "only the header");
        }
        return new long[] {ready, first};
      }
    } finally {
      second.stop(Duration.ofSeconds(5));
    }
  }

  /** {@code -Dlinux.test.kernelArgs="loglevel=7 linux.debug=1"} shows the boot on the console. */
  private static List<String> extraKernelArgs() {
    String args = System.getProperty("linux.test.kernelArgs", "").strip();
    return args.isEmpty() ? List.of() : List.of(args.split("\\s+"));
  }

  private record Result(int status, String stdout, String stderr) {}

  private static Result run(GuestAgent agent, String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession session = agent.exec(ProcessSpec.of(args), out, err)) {
      session.stdin().close();
      int status = session.waitFor();
      return new Result(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  /** A small EXT4 image holding Debian's static busybox and a few applet links. */
  static Path busyboxDisk(Path dir) throws Exception {
    Path busybox = Path.of("/bin/busybox");
    if (!Files.isRegularFile(busybox)) {
      throw new AssertionError("VM tests need a static busybox at /bin/busybox: install busybox-static");
    }
    return busyboxDisk(dir, busybox);
  }

  /** The same with another static busybox (e.g. another architecture's). */
  static Path busyboxDisk(Path dir, Path busybox) throws Exception {
    Path root = dir.resolve("rootfs");
    for (String d : List.of("bin", "dev", "proc", "sys", "tmp", "run", "etc", "root")) {
      Files.createDirectories(root.resolve(d));
    }
    Files.copy(busybox, root.resolve("bin/busybox"));
    for (String applet : APPLETS) {
      Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    Path disk = dir.resolve("disk.ext4");
    CpioWriterIT.run(dir, "mkfs.ext4", "-q", "-F", "-d", root.toString(), disk.toString(), "64M");
    return disk;
  }
}
