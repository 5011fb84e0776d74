package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * Networking through the real CLI and daemon on real VMs: each environment's own address; a guest
 * server reached at 127.0.0.1:PORT and at the environment's address within a second of listening;
 * two environments serving the same port, each at its own address (and 127.0.0.1 first come, first
 * served); 200 concurrent connections byte-exact both ways with no descriptor leaked in QEMU; a
 * host port already taken reported, not fatal; loopback-only servers listed as such; forwarding
 * switched off and on at once; closing the server removes the forward; stop removes them all;
 * {@code --network none} leaves only {@code lo}; bad input and a colliding address fail in one line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String A = "neta";
  private static final String B = "netb";
  private static final String OFF = "netoff";
  /** Ports no other test on this machine uses; the guests' servers listen on them. */
  private final int PORT = 20000 + new Random().nextInt(9000);
  private final int TAKEN_PORT = PORT + 1;
  private final int LOOPBACK_PORT = PORT + 2;
  private final int MANY_PORT = PORT + 3;
  private static final int CONNECTIONS = 200;
  private static final int SEQUENTIAL_CONNECTIONS = 2000;

  Path work;
  CliProcess cli;
  Path runtimeRoot;
  String addressA;
  String addressB;

  /** The host user the CLI runs as; null: the test's own (root in CI). */
  String user() {
    return null;
  }

  @BeforeAll
  void setUp() throws Exception {
    work = Files.createTempDirectory("linux-network-it-");
    Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    runtimeRoot = Files.createDirectories(work.resolve("run"));
    Path data = Files.createDirectories(work.resolve("home"));
    String classpath = System.getProperty("java.class.path");
    if (user() != null) {
      classpath = NonRootLifecycleIT.copyClasspath(classpath, Files.createDirectories(work.resolve("cp")));
      TestResources.makeReadable(work);
      for (Path owned : List.of(data, runtimeRoot)) {
        assertEquals(0, TestResources.host("chown", user() + ":", owned.toString()).exit());
      }
      assertEquals(0, TestResources.host("chmod", "0700", runtimeRoot.toString()).exit());
    }
    cli = new CliProcess(classpath, data, TestResources.kernelDir(), user())
        .env("XDG_RUNTIME_DIR", runtimeRoot.toString());
    String ref = "oci:" + image + ":" + TestResources.BUSYBOX_TAG;
    for (String name : List.of(A, B)) {
      ok("create", name, "--no-home", "--image", ref, "--disk", "128M", "--memory", "256M", "--cpus", "1");
      ok("set", name, "--idle-timeout", "-1");
    }
    ok("create", OFF, "--no-home", "--image", ref, "--disk", "128M", "--memory", "256M", "--cpus", "1", "--network", "none");
  }

  @AfterAll
  void tearDown() throws Exception {
    if (cli != null) {
      cli.run("daemon", "stop", "--environments");
    }
    if (runtimeRoot == null) {
      return;
    }
    for (long pid : CrashSafetyIT.qemusUnder(runtimeRoot)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    TestResources.host("rm", "-rf", work.toString());
  }

  @Test
  @Order(1)
  void badInputFailsInOneLineAndChangesNothing() throws Exception {
    String before = Files.readString(envJson(A));
    for (List<String> args : List.of(
        List.of("set", A, "--ignore-ports", "22,x"),
        List.of("set", A, "--ignore-ports", "0"),
        List.of("set", A, "--ignore-ports", "70000"),
        List.of("set", A, "--network", "bogus"),
        List.of("set", A, "--cpus", "2", "--forward-ports", "maybe"),
        List.of("create", "netbad", "--image", "oci:/nowhere", "--network", "bogus"))) {
      CliProcess.Result r = cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exit(), args + ": " + r);
      assertEquals(1, r.stderr().strip().lines().count(), args + ": " + r);
    }
    assertEquals(before, Files.readString(envJson(A)), "nothing half-changed");
    assertTrue(Files.notExists(work.resolve("home/environments/netbad")));
  }

  @Test
  @Order(2)
  void everyEnvironmentHasItsOwnAddressInListAndInspect() throws Exception {
    addressA = inspect(A).get("address").asText();
    addressB = inspect(B).get("address").asText();
    assertTrue(addressA.startsWith("127.77."), addressA);
    assertTrue(addressB.startsWith("127.77."), addressB);
    assertNotEquals(addressA, addressB);
    assertEquals("none", inspect(OFF).get("network").asText());
    String list = ok("list").out();
    assertTrue(list.contains("ADDRESS") && list.contains(addressA) && list.contains(addressB), list);
  }

  @Test
  @Order(3)
  void aGuestServerIsReachedAtLoopbackAndItsOwnAddressWithinASecond() throws Exception {
    ok("start", A);
    ok("start", B);
    // An echo server: every connection gets its own `cat` (-ll: keep listening, fork per client).
    ok("run", A, "--", "sh", "-c", "nc -ll -p " + PORT + " -e cat </dev/null >/dev/null 2>&1 & echo $! >/tmp/nc.pid");
    long listening = System.nanoTime();
    awaitEcho(addressA, PORT, listening, "own address");
    double seconds = awaitEcho("127.0.0.1", PORT, listening, "127.0.0.1");
    System.err.printf("network: forwarded %.2f s after the server was started%n", seconds);
    assertTrue(seconds < 1.5, "forwarded after " + seconds + " s");
    JsonNode ports = ports(A);
    assertEquals(2, count(ports, PORT, "forwarded"), ports.toString());
  }

  @Test
  @Order(4)
  void twoEnvironmentsServeTheSamePortEachAtItsOwnAddress() throws Exception {
    // B answers with its host name, so the test knows who answered.
    ok("run", B, "--", "sh", "-c", "nc -ll -p " + PORT + " -e hostname </dev/null >/dev/null 2>&1 &");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String answer = "";
    while (System.nanoTime() < deadline && !answer.equals(B)) {
      answer = request(addressB, PORT, new byte[0]).strip();
      Thread.sleep(50);
    }
    assertEquals(B, answer);
    byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(hello, request(addressA, PORT, hello).getBytes(StandardCharsets.UTF_8), "A still answers at its address");
    assertArrayEquals(hello, request("127.0.0.1", PORT, hello).getBytes(StandardCharsets.UTF_8), "127.0.0.1 stays A's: first come");
    JsonNode ports = awaitPorts(B, p -> count(p, PORT, "host port taken") == 1);
    JsonNode taken = find(ports, PORT, "127.0.0.1");
    assertEquals("host port taken", taken.get("state").asText(), ports.toString());
    assertTrue(taken.get("detail").asText().contains("Could not set up host forwarding rule"), taken.toString());
    String table = ok("ports").out();
    assertTrue(table.contains(B) && table.contains("host port taken") && table.contains(addressB + ":" + PORT), table);
    String log = Files.readString(work.resolve("home/daemon.log"));
    assertTrue(log.contains(B + ": cannot forward tcp 127.0.0.1:" + PORT + " -> " + PORT + ": host port taken"), log);
  }

  @Test
  @Order(5)
  void twoHundredConcurrentConnectionsCarryExactBytesBothWays() throws Exception {
    // busybox nc listens with a backlog of 2: a burst of 200 needs a server with a real one.
    Path server = echoServer();
    ok("cp", server.toString(), A + ":/tmp/echo"); // keeps the source's 0755; owned by /tmp's owner
    ok("run", A, "--", "sh", "-c", "/tmp/echo " + MANY_PORT + " </dev/null >/dev/null 2>&1 &");
    awaitEcho("127.0.0.1", MANY_PORT, System.nanoTime(), "echo server");
    long qemu = CrashSafetyIT.qemusUnder(runtimeRoot).stream().filter(pid -> commandLine(pid).contains("/" + A + "/"))
        .findFirst().orElseThrow();
    long fdsBefore = fds(qemu);
    // QEMU's hostfwd listens with a backlog of 1 (libslirp's listen(s, 1)): a burst of connects
    // overflows the host's accept queue and some are reset (34 of 200 here, with ListenOverflows and
    // SyncookiesFailed counted by the host). So the connections are opened one by one (each
    // confirmed by an echoed byte), then all 200, open at once, carry their data concurrently.
    List<Socket> sockets = new ArrayList<>();
    long started = System.nanoTime();
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    try {
      for (int i = 0; i < CONNECTIONS; i++) {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", MANY_PORT), 5000);
        s.setSoTimeout(120_000);
        s.getOutputStream().write(i);
        assertEquals(i & 0xff, s.getInputStream().read(), "connection " + i + " echoed its first byte");
      }
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < CONNECTIONS; i++) {
        int n = i;
        Socket s = sockets.get(i);
        all.add(pool.submit(() -> {
          byte[] data = new byte[16 * 1024 + n * 97];
          new Random(n).nextBytes(data);
          Thread writer = Thread.ofVirtual().start(() -> {
            try {
              s.getOutputStream().write(data);
              s.shutdownOutput();
            } catch (IOException ignored) {
              // the read below reports it
            }
          });
          byte[] back = s.getInputStream().readAllBytes();
          writer.join();
          assertArrayEquals(data, back, "connection " + n);
          return null;
        }));
      }
      List<String> failed = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        try {
          all.get(i).get(5, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
          failed.add(i + ": " + e.getCause());
        }
      }
      assertEquals(List.of(), failed);
    } finally {
      pool.shutdownNow();
      for (Socket s : sockets) {
        s.close();
      }
    }
    System.err.printf("network: %d concurrent connections in %.1f s%n", CONNECTIONS, (System.nanoTime() - started) / 1e9);
    // Thousands more, one after another, each half-closed by the client first: the echo comes back
    // whole after the client's FIN, then the server's FIN ends the read.
    long sequential = System.nanoTime();
    for (int i = 0; i < SEQUENTIAL_CONNECTIONS; i++) {
      byte[] data = ("connection " + i).getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(data, exchange("127.0.0.1", MANY_PORT, data), "sequential connection " + i);
    }
    System.err.printf("network: %d sequential half-closed connections in %.1f s%n", SEQUENTIAL_CONNECTIONS,
        (System.nanoTime() - sequential) / 1e9);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (fds(qemu) > fdsBefore + 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(fds(qemu) <= fdsBefore + 2, "QEMU holds " + fds(qemu) + " descriptors, " + fdsBefore + " before");
  }

  @Test
  @Order(6)
  void aHostPortAlreadyTakenIsReportedNotFatal() throws Exception {
    try (ServerSocket occupant = new ServerSocket()) {
      occupant.bind(new InetSocketAddress("127.0.0.1", TAKEN_PORT));
      ok("run", A, "--", "sh", "-c", "nc -ll -p " + TAKEN_PORT + " -e cat </dev/null >/dev/null 2>&1 &");
      awaitEcho(addressA, TAKEN_PORT, System.nanoTime(), "own address");
      JsonNode ports = awaitPorts(A, p -> count(p, TAKEN_PORT, "host port taken") == 1);
      assertEquals("forwarded", find(ports, TAKEN_PORT, addressA).get("state").asText(), ports.toString());
    }
    // Once the host lets go, the port is tried again and taken over.
    awaitPorts(A, p -> count(p, TAKEN_PORT, "forwarded") == 2);
    awaitEcho("127.0.0.1", TAKEN_PORT, System.nanoTime(), "127.0.0.1 after it was freed");
  }

  @Test
  @Order(7)
  void loopbackOnlyServersAreListedNotForwarded() throws Exception {
    ok("run", A, "--", "sh", "-c", "mkdir -p /tmp/www && httpd -p 127.0.0.1:" + LOOPBACK_PORT + " -h /tmp/www");
    JsonNode ports = awaitPorts(A, p -> count(p, LOOPBACK_PORT, "loopback-only") == 1);
    assertTrue(find(ports, LOOPBACK_PORT, null).get("hostAddress").isNull(), ports.toString());
    assertRefused("127.0.0.1", LOOPBACK_PORT);
  }

  @Test
  @Order(8)
  void forwardingSwitchedOffAndOnAppliesAtOnce() throws Exception {
    ok("set", A, "--forward-ports", "false");
    awaitRefused(addressA, PORT);
    assertEquals(1, count(ports(A), PORT, "forwarding off"));
    // B, refused 127.0.0.1:PORT while A held it, takes it over now that A let go.
    awaitPorts(B, p -> count(p, PORT, "forwarded") == 2);
    ok("set", A, "--ignore-ports", String.valueOf(PORT), "--forward-ports", "true");
    awaitPorts(A, p -> count(p, PORT, "ignored") == 1 && count(p, TAKEN_PORT, "forwarded") == 2);
    assertRefused(addressA, PORT);
    ok("set", A, "--ignore-ports", "");
    awaitEcho(addressA, PORT, System.nanoTime(), "own address again");
    // While A did not forward PORT, B took 127.0.0.1:PORT: first come, first served.
    JsonNode ports = awaitPorts(A, p -> count(p, PORT, "host port taken") == 1);
    assertEquals("forwarded", find(ports, PORT, addressA).get("state").asText(), ports.toString());
    assertEquals(B, request("127.0.0.1", PORT, new byte[0]).strip());
  }

  @Test
  @Order(9)
  void closingTheServerRemovesTheForward() throws Exception {
    ok("run", A, "--", "sh", "-c", "kill $(cat /tmp/nc.pid)");
    long closed = System.nanoTime();
    awaitRefused(addressA, PORT);
    System.err.printf("network: forward removed %.2f s after the server was killed%n", (System.nanoTime() - closed) / 1e9);
    JsonNode ports = awaitPorts(A, p -> count(p, PORT, null) == 0);
    assertEquals(0, count(ports, PORT, null), ports.toString());
  }

  @Test
  @Order(10)
  void stopRemovesEveryForward() throws Exception {
    ok("stop", A);
    assertRefused(addressA, TAKEN_PORT);
    assertRefused("127.0.0.1", TAKEN_PORT);
    assertEquals("[ ]", ok("ports", A, "--json").out().strip());
    assertRefused(addressA, MANY_PORT);
    assertEquals(B, request("127.0.0.1", PORT, new byte[0]).strip(), "B's forwards are its own");
    ok("stop", B);
  }

  @Test
  @Order(11)
  void networkNoneLeavesOnlyLo() throws Exception {
    CliProcess.Result links = ok("run", OFF, "--", "ip", "-o", "link");
    List<String> names = links.out().lines().map(l -> l.split(":")[1].strip()).toList();
    assertEquals(List.of("lo"), names, links.out());
    assertEquals("no network (--network none)", ok("ports", OFF).out().strip().replace(OFF + " has ", ""));
    ok("stop", OFF);
  }

  @Test
  @Order(12)
  void aHandEditedCollidingAddressFailsTheStartInOneLine() throws Exception {
    Path json = envJson(OFF);
    String text = Files.readString(json);
    String own = JSON.readTree(text).get("address").asText();
    Files.writeString(json, text.replace("\"" + own + "\"", "\"" + addressA + "\""));
    CliProcess.Result r = cli.run("start", OFF);
    assertNotEquals(0, r.exit(), r.toString());
    String line = r.stderr().strip();
    assertEquals(1, line.lines().count(), r.toString());
    assertTrue(line.contains("'" + OFF + "'") && line.contains("'" + A + "'") && line.contains(addressA), line);
  }

  // --- helpers ---

  /** A static echo server for the guest (Go, no libc): one goroutine per connection, backlog from somaxconn. */
  private Path echoServer() throws Exception {
    Path dir = Files.createDirectories(work.resolve("echo"));
    Path source = dir.resolve("echo.go");
    Files.writeString(source, """
        package main

        import (
        	"io"
        	"net"
        	"os"
        )

        func main() {
        	l, err := net.Listen("tcp", ":"+os.Args[1])
        	if err != nil {
        		panic(err)
        	}
        	for {
        		c, err := l.Accept()
        		if err != nil {
        			continue
        		}
        		go func(c net.Conn) {
        			io.Copy(c, c)
        			c.(*net.TCPConn).CloseWrite()
        			c.Close()
        		}(c)
        	}
        }
        """);
    Path binary = dir.resolve("echo");
    ProcessBuilder build = new ProcessBuilder("go", "build", "-o", binary.toString(), source.toString())
        .directory(dir.toFile()).redirectErrorStream(true);
    build.environment().put("CGO_ENABLED", "0");
    build.environment().put("GOCACHE", TestResources.cacheDir().resolve("go-build").toString());
    Process go = build.start();
    byte[] out = go.getInputStream().readAllBytes();
    assertEquals(0, go.waitFor(), new String(out, StandardCharsets.UTF_8));
    if (user() != null) {
      TestResources.makeReadable(dir);
    }
    return binary;
  }

  private CliProcess.Result ok(String... args) throws IOException, InterruptedException {
    CliProcess.Result r = cli.run(args);
    assertEquals(0, r.exit(), String.join(" ", args) + ": " + r);
    return r;
  }

  private Path envJson(String name) {
    return work.resolve("home/environments/" + name + "/env.json");
  }

  private JsonNode inspect(String name) throws Exception {
    return JSON.readTree(ok("inspect", name, "--json").out());
  }

  private JsonNode ports(String name) throws Exception {
    return JSON.readTree(ok("ports", name, "--json").out());
  }

  private JsonNode awaitPorts(String name, java.util.function.Predicate<JsonNode> test) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonNode ports = ports(name);
    while (!test.test(ports)) {
      if (System.nanoTime() > deadline) {
        fail("ports of " + name + " never as expected: " + ports);
      }
      Thread.sleep(200);
      ports = ports(name);
    }
    return ports;
  }

  /** Rows of guest port {@code port} in {@code state} (any state: null). */
  private int count(JsonNode ports, int port, String state) {
    int n = 0;
    for (JsonNode row : ports) {
      if (row.get("guestPort").asInt() == port && (state == null || state.equals(row.get("state").asText()))) {
        n++;
      }
    }
    return n;
  }

  private JsonNode find(JsonNode ports, int port, String hostAddress) {
    for (JsonNode row : ports) {
      if (row.get("guestPort").asInt() == port && (hostAddress == null ? row.get("hostAddress").isNull()
          : hostAddress.equals(row.get("hostAddress").asText()))) {
        return row;
      }
    }
    throw new AssertionError("no row for " + port + " on " + hostAddress + ": " + ports);
  }

  /** Polls an echo round trip until it works; returns the seconds since {@code since}. */
  private double awaitEcho(String address, int port, long since, String what) throws Exception {
    byte[] ping = ("ping " + what).getBytes(StandardCharsets.UTF_8);
    long deadline = since + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        if (new String(exchange(address, port, ping), StandardCharsets.UTF_8).equals(new String(ping, StandardCharsets.UTF_8))) {
          return (System.nanoTime() - since) / 1e9;
        }
      } catch (IOException e) {
        // not forwarded yet
      }
      if (System.nanoTime() > deadline) {
        fail(what + " " + address + ":" + port + " never echoed");
      }
      Thread.sleep(20);
    }
  }

  private void awaitRefused(String address, int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(address, port), 2000);
      } catch (ConnectException e) {
        return;
      }
      if (System.nanoTime() > deadline) {
        fail(address + ":" + port + " still accepts connections");
      }
      Thread.sleep(50);
    }
  }

  private void assertRefused(String address, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      fail(address + ":" + port + " accepted a connection");
    } catch (ConnectException expected) {
      // nothing serves it
    }
  }

  private String request(String address, int port, byte[] data) {
    try {
      return new String(exchange(address, port, data), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Sends {@code data}, half-closes, and reads until the server closes. */
  static byte[] exchange(String address, int port, byte[] data) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 5000);
      s.setSoTimeout(60_000);
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          OutputStream out = s.getOutputStream();
          out.write(data);
          out.flush();
          s.shutdownOutput();
        } catch (IOException ignored) {
          // the read below reports it
        }
      });
      InputStream in = s.getInputStream();
      byte[] back = in.readAllBytes();
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return back;
    }
  }

  private String commandLine(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private long fds(long pid) throws IOException {
    try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return list.count();
    }
  }
}
