package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.image.Compression;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.Platform;
import dev.linux.env.image.TarWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety through the real CLI on real VMs: QEMU killed while the guest
 * appends and fsyncs records loses no acknowledged record and is noticed as stopped; the disk
 * passes e2fsck after a clean stop; fstrim in the guest shrinks the host file; concurrent
 * lifecycle commands on one environment leave a sound record and no stray QEMU; a create killed
 * mid-write leaves nothing listed. One busybox environment is shared (TCG boots are slow).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashSafetyIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ENV = "cs";
  private static final int ROUNDS = 10;

  @TempDir static Path work;
  static CliProcess cli;
  static Path image;
  static Path linuxHome;
  static Path runtimeRoot;

  @BeforeAll
  static void setUp() throws Exception {
    image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    linuxHome = work.resolve("home");
    // Our own runtime root: every QEMU this class starts names it on its command line.
    runtimeRoot = Files.createDirectories(work.resolve("run"));
    cli = new CliProcess(System.getProperty("java.class.path"), linuxHome, TestResources.kernelDir(), null)
        .env("XDG_RUNTIME_DIR", runtimeRoot.toString());
    var created = cli.run("create", ENV, "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "512M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("rm", "--force", ENV);
      cli.run("rm", "--force", "big");
    }
    for (long pid : ourQemus()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Order(1)
  void acknowledgedRecordsSurviveQemuKills() throws Exception {
    Random random = new Random(5);
    Set<String> acknowledged = new HashSet<>();
    for (int round = 0; round < ROUNDS; round++) {
      // The writer first prints what the log holds (after the kill of the round before, on a
      // fresh boot with the journal replayed), then appends, fsyncs and acknowledges records.
      String script = "cat /root/log 2>/dev/null; echo ---; i=0; while :; do echo r" + round
          + "_$i >> /root/log; sync /root/log || exit 9; echo ack r" + round + "_$i; i=$((i+1)); done";
      Process writer = new ProcessBuilder(cli.command("run", ENV, "--", "sh", "-c", script))
          .redirectError(work.resolve("writer-" + round + ".err").toFile()).start();
      writer.getOutputStream().close();
      List<String> before = new CopyOnWriteArrayList<>();
      List<String> acks = new CopyOnWriteArrayList<>();
      Thread reader = Thread.ofVirtual().start(() -> readWriter(writer.getInputStream(), before, acks));

      awaitAcks(acks, 1 + random.nextInt(5), writer, round);
      Set<String> present = new HashSet<>(before);
      for (String record : acknowledged) {
        assertTrue(present.contains(record), "round " + round + ": acknowledged record " + record
            + " is gone after QEMU was killed; the log holds " + before.size() + " records");
      }

      long pid = pidOf(ENV);
      Thread.sleep(random.nextInt(1500));
      assertTrue(ourQemus().contains(pid), "pid " + pid + " from list --json is not our QEMU");
      TestResources.host("kill", "-9", Long.toString(pid));
      assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "linux run did not end after QEMU was killed");
      reader.join(10_000);
      for (String ack : acks) {
        acknowledged.add(ack);
      }
      System.err.println("round " + round + ": " + acks.size() + " acknowledged, " + before.size() + " on disk before");

      // The dead VM is noticed: listed as stopped, its pid file cleaned up.
      JsonNode row = listed(ENV);
      assertEquals("stopped", row.get("state").asText(), row.toString());
      assertFalse(row.has("pid"), row.toString());
      assertFalse(Files.exists(runtimeDir().resolve("qemu.pid")), "stale pid file left behind");
      if (round == 0) {
        // The daemon notices by itself too: its next look drops the dead VM.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (daemonRuns(ENV)) {
          assertTrue(System.nanoTime() < deadline, "the daemon still runs " + ENV + " after its QEMU was killed");
          Thread.sleep(250);
        }
      }
    }

    var last = cli.run("run", ENV, "--", "cat", "/root/log");
    assertEquals(0, last.exit(), last.toString());
    Set<String> present = new HashSet<>(last.out().lines().toList());
    for (String record : acknowledged) {
      assertTrue(present.contains(record), "acknowledged record " + record + " is gone");
    }
    var stop = cli.run("stop", ENV);
    assertEquals(0, stop.exit(), stop.toString());
    assertE2fsckClean();
  }

  @Test
  @Order(2)
  void fstrimShrinksTheHostFile() throws Exception {
    var fill = cli.run("run", ENV, "--", "sh", "-c",
        "dd if=/dev/urandom of=/root/filler bs=1M count=96 2>/dev/null && sync");
    assertEquals(0, fill.exit(), fill.toString());
    long filled = allocatedBytes();
    var trim = cli.run("run", ENV, "--", "sh", "-c", "rm /root/filler && sync && busybox fstrim -v /");
    long trimmed = allocatedBytes();
    System.err.println("fstrim: " + trim.out().strip() + trim.stderr().strip() + "; host file allocated "
        + (filled >> 20) + " MiB -> " + (trimmed >> 20) + " MiB");
    assertEquals(0, trim.exit(), trim.toString());
    assertTrue(filled - trimmed > (64L << 20),
        "host file allocated " + filled + " bytes before fstrim, " + trimmed + " after");
  }

  @Test
  @Order(3)
  void concurrentLifecycleCommandsKeepTheRecordSound() throws Exception {
    List<List<String>> commands = List.of(
        List.of("start", ENV),
        List.of("stop", "-t", "1", ENV),
        List.of("run", ENV, "--", "true"),
        List.of("set", ENV, "--memory", "320M"),
        List.of("inspect", ENV, "--json"),
        List.of("set", ENV, "--cpus", "1", "--memory", "256M"));
    ExecutorService pool = Executors.newFixedThreadPool(commands.size());
    List<String> failures = new ArrayList<>();
    try {
      for (int repeat = 0; repeat < 3; repeat++) {
        List<Future<CliProcess.Result>> results = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) {
          List<String> command = commands.get((i + repeat) % commands.size());
          results.add(pool.submit(() -> cli.run(command.toArray(String[]::new))));
        }
        for (int i = 0; i < results.size(); i++) {
          List<String> command = commands.get((i + repeat) % commands.size());
          CliProcess.Result result = results.get(i).get(5, TimeUnit.MINUTES);
          if (result.exit() != 0) {
            failures.add(String.join(" ", command) + ": " + result);
          }
          assertFalse(result.stderr().contains("Exception"), String.join(" ", command) + ": " + result);
          assertTrue(ourQemus().size() <= 1, "more than one QEMU for one environment: " + ourQemus());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.err.println("concurrent commands that failed: " + failures.size());
    failures.forEach(f -> System.err.println("  " + f.replace('\n', ' ')));
    // A command may lose a race with a stop (the VM it used went away), never the record.
    for (String failure : failures) {
      assertTrue(failure.startsWith("run "), "only run may lose a race with stop: " + failure);
    }

    JsonNode record = JSON.readTree(Files.readAllBytes(linuxHome.resolve("environments/" + ENV + "/env.json")));
    assertEquals(ENV, record.get("name").asText());
    var works = cli.run("run", ENV, "--", "echo", "alive");
    assertEquals(0, works.exit(), works.toString());
    assertEquals("alive\n", works.out());
    assertEquals(1, ourQemus().size(), "QEMUs: " + ourQemus());
    var stop = cli.run("stop", ENV);
    assertEquals(0, stop.exit(), stop.toString());
    assertEquals(List.of(), ourQemus(), "stray QEMU after stop");
    assertE2fsckClean();
  }

  @Test
  @Order(4)
  void createKilledMidWriteLeavesNothingListed() throws Exception {
    Path bigImage = bigImage(work.resolve("big-image"), 200);
    Process create = new ProcessBuilder(cli.command("create", "big", "--image", "oci:" + bigImage + ":big",
        "--disk", "1G")).redirectErrorStream(true).redirectOutput(work.resolve("create.log").toFile()).start();
    create.getOutputStream().close();
    Path staging = awaitStagingDisk(create, 32L << 20);
    create.destroyForcibly(); // SIGKILL
    assertTrue(create.waitFor(30, TimeUnit.SECONDS));
    assertTrue(Files.exists(staging), "the killed create left no staging directory: nothing was tested");

    var list = cli.run("list", "--json");
    assertEquals(0, list.exit(), list.toString());
    for (JsonNode row : JSON.readTree(list.stdout())) {
      assertFalse(row.get("name").asText().equals("big"), list.out());
    }
    assertFalse(Files.exists(linuxHome.resolve("environments/big")));
    var run = cli.run("run", "big", "--", "true");
    assertEquals(125, run.exit(), run.toString());

    var again = cli.run("create", "big", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG, "--disk", "128M");
    assertEquals(0, again.exit(), again.toString());
    assertEquals("created", listed("big").get("state").asText());
    assertFalse(Files.exists(staging), "the next create of the name removes what the killed one left");
    var rm = cli.run("rm", "big");
    assertEquals(0, rm.exit(), rm.toString());
  }

  /**
   * Issue 16, defects 4 and 11: a boot whose root cannot be mounted used to count as success
   * ({@code running}) and a failed start left its runtime directory behind.
   */
  @Test
  @Order(5)
  void aRootThatCannotBeMountedFailsTheStart() throws Exception {
    var created = cli.run("create", "trunc", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "128M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    var truncated = TestResources.host("truncate", "-s", "1M", linuxHome.resolve("environments/trunc/disk.ext4").toString());
    assertEquals(0, truncated.exit(), truncated.out());
    try {
      var start = cli.run("start", "trunc");
      assertEquals(6, start.exit(), start.toString());
      // Progress notices aside ("Starting trunc..."), one error line with the guest's reason.
      List<String> errors = start.stderr().lines().filter(l -> l.startsWith("linux: ")).toList();
      assertEquals(1, errors.size(), start.toString());
      assertTrue(errors.get(0).startsWith("linux: cannot start trunc: its disk cannot be mounted: mount "), start.toString());

      JsonNode row = listed("trunc");
      assertEquals("broken", row.get("state").asText(), row.toString());
      assertTrue(row.get("stateReason").asText().startsWith("its disk cannot be mounted: "), row.toString());
      // A QEMU of this environment names its disk on its command line; "cs" may still run.
      String disk = linuxHome.resolve("environments/trunc/disk.ext4").toString();
      assertEquals(List.of(), ourQemus().stream().filter(pid -> cmdline(pid).contains(disk)).toList(), "no QEMU left");
      try (Stream<Path> left = Files.walk(runtimeRoot)) {
        assertEquals(List.of(), left.filter(p -> p.getFileName().toString().equals("trunc")).toList(),
            "no runtime directory left");
      }
    } finally {
      cli.run("rm", "--force", "trunc");
    }
  }

  // --- helpers ---

  private static void readWriter(InputStream out, List<String> before, List<String> acks) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8))) {
      boolean writing = false;
      for (String line; (line = lines.readLine()) != null; ) {
        if (!writing) {
          if (line.equals("---")) {
            writing = true;
          } else {
            before.add(line);
          }
        } else if (line.startsWith("ack ")) {
          acks.add(line.substring(4));
        }
      }
    } catch (IOException e) {
      // the CLI died with its VM
    }
  }

  private static void awaitAcks(List<String> acks, int count, Process writer, int round) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (acks.size() < count) {
      if (!writer.isAlive()) {
        throw new AssertionError("round " + round + ": the writer ended (exit " + writer.exitValue() + "): "
            + Files.readString(work.resolve("writer-" + round + ".err")) + "\nconsole: " + consoleTail());
      }
      if (System.nanoTime() > deadline) {
        writer.destroyForcibly();
        throw new AssertionError("round " + round + ": no acknowledgements within 3 minutes");
      }
      Thread.sleep(20);
    }
  }

  private static String consoleTail() throws IOException {
    Path log = linuxHome.resolve("environments/" + ENV + "/console.log");
    if (!Files.exists(log)) {
      return "(none)";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
    return String.join("\n  ", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
  }

  private static JsonNode listed(String name) throws Exception {
    var list = cli.run("list", "--json");
    assertEquals(0, list.exit(), list.toString());
    for (JsonNode row : JSON.readTree(list.stdout())) {
      if (row.get("name").asText().equals(name)) {
        return row;
      }
    }
    throw new AssertionError(name + " is not listed: " + list.out());
  }

  private static long pidOf(String name) throws Exception {
    JsonNode row = listed(name);
    assertEquals("running", row.get("state").asText(), row.toString());
    return row.get("pid").asLong();
  }

  /** The environment's runtime directory (the one holding its pid file and sockets). */
  private static Path runtimeDir() throws IOException {
    try (Stream<Path> dirs = Files.list(runtimeRoot)) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("linux-")).findFirst()
          .orElseThrow().resolve(ENV);
    }
  }

  /** Pids of the QEMU processes started by this class (their command line names our runtime root). */
  /** Whether `linux daemon status` lists {@code name} among what the daemon runs. */
  private static boolean daemonRuns(String name) throws Exception {
    var status = cli.run("daemon", "status", "--json");
    if (status.exit() != 0) {
      return false; // no daemon
    }
    for (JsonNode env : JSON.readTree(status.stdout()).get("environments")) {
      if (env.get("name").asText().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
    } catch (IOException | java.io.UncheckedIOException e) {
      return ""; // ended meanwhile
    }
  }

  static List<Long> ourQemus() throws IOException {
    return qemusUnder(runtimeRoot);
  }

  /** The QEMU processes whose command line names a path under {@code runtimeRoot}. */
  static List<Long> qemusUnder(Path runtimeRoot) throws IOException {
    List<Long> pids = new ArrayList<>();
    String marker = runtimeRoot.toString() + "/";
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      try {
        String cmdline = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
        if (cmdline.startsWith("qemu-system") && cmdline.contains(marker)) {
          pids.add(p.pid());
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // ended meanwhile
      }
    }
    return pids;
  }

  private static long allocatedBytes() throws Exception {
    var stat = TestResources.host("stat", "-c", "%b %B", linuxHome.resolve("environments/" + ENV + "/disk.ext4").toString());
    String[] parts = stat.out().strip().split(" ");
    return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
  }

  private static void assertE2fsckClean() throws Exception {
    var fsck = TestResources.host("e2fsck", "-fn", linuxHome.resolve("environments/" + ENV + "/disk.ext4").toString());
    assertEquals(0, fsck.exit(), fsck.out());
  }

  /** An image of one layer holding {@code megabytes} MiB of incompressible file content. */
  private static Path bigImage(Path dir, int megabytes) throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    Path tar = Files.createTempFile(work, "big-layer-", ".tar");
    Random random = new Random(7);
    byte[] chunk = new byte[1 << 20];
    Instant mtime = Instant.parse("2024-01-01T00:00:00Z");
    try (OutputStream file = Files.newOutputStream(tar); TarWriter out = new TarWriter(file)) {
      out.putEntry(new TarWriter.Header("data/", TarWriter.Type.DIRECTORY, 0755, 0, 0, 0, mtime, null, 0, 0, Map.of()));
      for (int f = 0; f < megabytes / 8; f++) {
        out.putEntry(new TarWriter.Header("data/f" + f, TarWriter.Type.FILE, 0644, 0, 0, 8L << 20, mtime, null, 0, 0, Map.of()));
        for (int m = 0; m < 8; m++) {
          random.nextBytes(chunk);
          out.writeContent(chunk, 0, chunk.length);
        }
      }
      out.finish();
    }
    OciLayoutWriter.LayerBlob layer;
    try (InputStream in = Files.newInputStream(tar)) {
      layer = writer.addLayer(in, Compression.NONE);
    } finally {
      Files.delete(tar);
    }
    Platform platform = Platform.host();
    Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), List.of(layer.diffId()));
    writer.tag(writer.writeManifest(config, List.of(layer.descriptor())), "big", platform);
    return dir;
  }

  /** Waits until a staging directory's disk holds {@code bytes}; returns the directory. */
  private static Path awaitStagingDisk(Process create, long bytes) throws Exception {
    Path environments = linuxHome.resolve("environments");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      assertTrue(create.isAlive(), "create ended before it was killed: " + Files.readString(work.resolve("create.log")));
      try (Stream<Path> entries = Files.list(environments)) {
        for (Path staging : entries.filter(p -> p.getFileName().toString().startsWith(".staging-big-")).toList()) {
          Path disk = staging.resolve("disk.ext4");
          if (Files.exists(disk) && (Long.parseLong(TestResources.host("stat", "-c", "%b", disk.toString())
              .out().strip()) * 512 >= bytes)) {
            return staging;
          }
        }
      } catch (java.nio.file.NoSuchFileException e) {
        // environments/ not there yet
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no staging disk of " + bytes + " bytes appeared");
  }
}
