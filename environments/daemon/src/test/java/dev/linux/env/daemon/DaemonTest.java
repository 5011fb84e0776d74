package dev.linux.env.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon in this JVM on a home without VMs: its socket, its one-per-home lock, its answers to
 * bad requests (each a clear error, the daemon still serving afterwards), and its exits.
 */
class DaemonTest {

  @TempDir Path dir;
  LinuxHome home;
  ByteArrayOutputStream log;
  CompletableFuture<Boolean> served;

  @BeforeEach
  void startDaemon() throws Exception {
    home = new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run"));
    log = new ByteArrayOutputStream();
    served = serve(Duration.ofMinutes(5));
    awaitDaemon();
  }

  @AfterEach
  void stopDaemon() throws Exception {
    DaemonClient.ifRunning(home, Progress.SILENT).ifPresent(client -> {
      try (client) {
        client.exit(false);
      }
    });
    served.get(20, TimeUnit.SECONDS);
  }

  private CompletableFuture<Boolean> serve(Duration linger) {
    return Daemon.runInBackground(home, "test", linger, new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  private DaemonClient awaitDaemon() {
    return DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(20));
  }

  @Test
  void answersStatusOnAPrivateSocket() throws Exception {
    try (DaemonClient client = awaitDaemon()) {
      DaemonStatus status = client.status();
      assertEquals(ProcessHandle.current().pid(), status.pid());
      assertEquals("test", status.version());
      assertTrue(status.environments().isEmpty(), status.toString());
      Path socket = DaemonFiles.of(home).socket();
      assertEquals(socket, status.socket());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.runtime())));
    }
  }

  @Test
  void aSecondDaemonForTheSameHomeStepsAside() throws Exception {
    assertFalse(serve(Duration.ofMinutes(5)).get(20, TimeUnit.SECONDS));
    try (DaemonClient client = awaitDaemon()) {
      assertEquals(ProcessHandle.current().pid(), client.status().pid());
    }
  }

  @Test
  void lifecycleRequestsForUnknownEnvironmentsFailWithTheirName() throws Exception {
    try (DaemonClient client = awaitDaemon()) {
      EnvException start = assertThrows(EnvException.class, () -> client.start(EnvName.of("nope")));
      assertEquals(EnvException.Code.NOT_FOUND, start.code(), start.getMessage());
      assertTrue(start.getMessage().contains("nope"), start.getMessage());
      EnvException stop = assertThrows(EnvException.class, () -> client.stop(EnvName.of("nope"), Duration.ZERO));
      assertEquals(EnvException.Code.NOT_FOUND, stop.code(), stop.getMessage());
      EnvException remove = assertThrows(EnvException.class, () -> client.remove(EnvName.of("nope"), true));
      assertEquals(EnvException.Code.NOT_FOUND, remove.code(), remove.getMessage());
      assertTrue(client.stopAll(Duration.ZERO).isEmpty());
      assertEquals(ProcessHandle.current().pid(), client.status().pid(), "still serving");
    }
  }

  @Test
  void relayedCallsForEnvironmentsThatDoNotRunFailClearly() throws Exception {
    Path socket = DaemonFiles.of(home).socket();
    try (GuestAgent agent = AgentChannel.relayed(socket, "nope")) {
      AgentException e = assertThrows(AgentException.class, () -> agent.ping(Duration.ofSeconds(5)));
      assertEquals(AgentException.Code.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("no environment named 'nope'"), e.getMessage());
    }
    try (GuestAgent agent = AgentChannel.relayed(socket, "nope")) {
      AgentException e = assertThrows(AgentException.class, () -> agent.shutdown(Duration.ZERO));
      assertEquals(AgentException.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("linux stop nope"), e.getMessage());
    }
    try (GuestAgent agent = AgentChannel.relayed(socket, "../etc")) {
      AgentException e = assertThrows(AgentException.class, () -> agent.ping(Duration.ofSeconds(5)));
      assertEquals(AgentException.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
    }
    try (DaemonClient client = awaitDaemon()) {
      assertEquals(ProcessHandle.current().pid(), client.status().pid(), "still serving");
    }
  }

  @Test
  void garbageOnTheSocketDoesNotHurtTheDaemon() throws Exception {
    Path socket = DaemonFiles.of(home).socket();
    for (String junk : new String[] {"GET / HTTP/1.1\r\n\r\n", "\0\0\0\4\0\0\0\0\0", "x".repeat(100_000)}) {
      try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        channel.write(ByteBuffer.wrap(junk.getBytes(StandardCharsets.ISO_8859_1)));
      }
    }
    try (DaemonClient client = awaitDaemon()) {
      assertEquals(ProcessHandle.current().pid(), client.status().pid(), "still serving");
    }
  }

  @Test
  void exitsWhenAskedAndRemovesItsSocket() throws Exception {
    try (DaemonClient client = awaitDaemon()) {
      client.exit(false);
    }
    assertTrue(served.get(20, TimeUnit.SECONDS));
    assertFalse(Files.exists(DaemonFiles.of(home).socket()));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("daemon exiting"), log.toString());
  }

  @Test
  void exitsByItselfWhenNothingRunsForItsLinger() throws Exception {
    try (DaemonClient client = awaitDaemon()) {
      client.exit(false);
    }
    served.get(20, TimeUnit.SECONDS);
    long started = System.nanoTime();
    served = serve(Duration.ofSeconds(1));
    awaitDaemon().close();
    assertTrue(served.get(20, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(1000), "exited before its linger");
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("nothing running and no client"), log.toString());
  }

  @Test
  void passiveStatusCallsDoNotKeepAnIdleDaemonAlive() throws Exception {
    try (DaemonClient client = awaitDaemon()) {
      client.exit(false);
    }
    served.get(20, TimeUnit.SECONDS);
    served = serve(Duration.ofSeconds(2));
    awaitDaemon().close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!served.isDone()) {
      assertTrue(System.nanoTime() < deadline, "status calls every 100 ms kept the daemon alive");
      DaemonClient.ifRunning(home, Progress.SILENT, true).ifPresent(client -> {
        try (client) {
          client.status(true);
        } catch (EnvException e) {
          // it exited between the two calls: what the loop waits for
        }
      });
      Thread.sleep(100);
    }
    assertTrue(served.get());
  }

  @Test
  void aDaemonThatFailsToStartIsReportedAtOnceWithItsLastWords() throws Exception {
    LinuxHome other = new LinuxHome(dir.resolve("other"), dir.resolve("other-config"), dir.resolve("other-run"));
    Files.createDirectories(other.data());
    long started = System.nanoTime();
    EnvException e = assertThrows(EnvException.class, () -> DaemonClient.connect(other, Progress.SILENT,
        files -> new ProcessBuilder("sh", "-c", "echo 'linux: cannot bind the socket' >> '" + files.log() + "'; exit 3").start()));
    assertEquals(EnvException.Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("exit status 3") && e.getMessage().contains("cannot bind the socket"), e.getMessage());
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "took the whole launch wait");
  }

  @Test
  void theBuildIdChangesWhenAClassPathEntryIsRebuilt() throws Exception {
    Path jar = Files.writeString(dir.resolve("a.jar"), "one");
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String classPath = jar + java.io.File.pathSeparator + classes;
    String before = Daemon.buildOf(classPath);
    assertEquals(before, Daemon.buildOf(classPath), "the same code, the same id");
    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5000));
    assertFalse(before.equals(Daemon.buildOf(classPath)), "a rebuilt jar must change the id");
  }
}
