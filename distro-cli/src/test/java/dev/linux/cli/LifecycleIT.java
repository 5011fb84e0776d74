package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The basic lifecycle through the real CLI, on real VMs: a busybox image built here from Debian's
 * busybox-static becomes an environment; commands run in it with stdio and exit statuses carried
 * over; what it writes survives a stop and start; the stopped disk passes e2fsck.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleIT {

  @TempDir static Path work;
  static CliProcess cli;
  static Path image;
  static Path linuxHome;

  @BeforeAll
  static void setUp() throws Exception {
    image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    linuxHome = work.resolve("home");
    cli = new CliProcess(System.getProperty("java.class.path"), linuxHome, TestResources.kernelDir(), null);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("rm", "--force", "bb");
    }
  }

  @Test
  @Order(1)
  void createWritesAnEnvironmentThatHasNotBootedYet() throws Exception {
    var created = cli.run("create", "bb", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "256M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    assertTrue(Files.isRegularFile(linuxHome.resolve("environments/bb/disk.ext4")));

    JsonNode list = new ObjectMapper().readTree(cli.run("list", "--json").stdout());
    assertEquals(1, list.size());
    assertEquals("bb", list.get(0).get("name").asText());
    assertEquals("created", list.get(0).get("state").asText());
    assertEquals(256L << 20, list.get(0).get("diskBytes").asLong());
  }

  @Test
  @Order(2)
  void runBootsTheEnvironmentAndCarriesOutput() throws Exception {
    var uname = cli.run("run", "bb", "--", "uname", "-a");
    assertEquals(0, uname.exit(), uname.toString());
    assertTrue(uname.out().startsWith("Linux bb "), uname.toString());

    JsonNode list = new ObjectMapper().readTree(cli.run("list", "--json").stdout());
    assertEquals("running", list.get(0).get("state").asText());
    assertTrue(list.get(0).has("lastStarted"), list.toString());
  }

  @Test
  @Order(3)
  void exitStatusAndStderrCarryOver() throws Exception {
    var seven = cli.run("run", "bb", "--", "sh", "-c", "echo to-stderr >&2; exit 7");
    assertEquals(7, seven.exit(), seven.toString());
    assertTrue(seven.stderr().contains("to-stderr"), seven.toString());

    var signalled = cli.run("run", "bb", "--", "sh", "-c", "kill -TERM $$");
    assertEquals(143, signalled.exit(), signalled.toString());
  }

  @Test
  @Order(4)
  void oneMebibyteThroughCatIsByteExact() throws Exception {
    byte[] data = new byte[1 << 20];
    new Random(42).nextBytes(data);
    var cat = cli.run(data, "run", "bb", "--", "cat");
    assertEquals(0, cat.exit(), cat.stderr());
    assertArrayEquals(data, cat.stdout());
  }

  @Test
  @Order(5)
  void missingCommandIs127() throws Exception {
    var missing = cli.run("run", "bb", "--", "no-such-command");
    assertEquals(127, missing.exit(), missing.toString());
    assertTrue(missing.stderr().contains("no-such-command"), missing.toString());
    var next = cli.run("run", "bb", "--", "true");
    assertEquals(0, next.exit(), next.toString());
  }

  @Test
  @Order(6)
  void filesSurviveStopAndStart() throws Exception {
    var write = cli.run("run", "bb", "--", "sh", "-c", "echo persisted > /root/marker");
    assertEquals(0, write.exit(), write.toString());
    var stop = cli.run("stop", "bb");
    assertEquals(0, stop.exit(), stop.toString());
    JsonNode list = new ObjectMapper().readTree(cli.run("list", "--json").stdout());
    assertEquals("stopped", list.get(0).get("state").asText());

    var start = cli.run("start", "bb");
    assertEquals(0, start.exit(), start.toString());
    var read = cli.run("run", "bb", "--", "cat", "/root/marker");
    assertEquals(0, read.exit(), read.toString());
    assertEquals("persisted\n", read.out());
  }

  @Test
  @Order(7)
  void stoppedDiskPassesE2fsck() throws Exception {
    var stop = cli.run("stop", "bb");
    assertEquals(0, stop.exit(), stop.toString());
    var fsck = TestResources.host("e2fsck", "-fn", linuxHome.resolve("environments/bb/disk.ext4").toString());
    assertEquals(0, fsck.exit(), new String(fsck.stdout(), StandardCharsets.UTF_8));
  }

  @Test
  @Order(8)
  void removeDeletesEverything() throws Exception {
    var rm = cli.run("rm", "bb");
    assertEquals(0, rm.exit(), rm.toString());
    assertFalse(Files.exists(linuxHome.resolve("environments/bb")));
    var run = cli.run("run", "bb", "--", "true");
    assertEquals(125, run.exit(), run.toString());
    assertTrue(run.stderr().contains("no environment named 'bb'"), run.toString());
  }

  @Test
  @Order(9)
  void invalidNamesAreRefused() throws Exception {
    for (String name : new String[] {"../x", "x".repeat(49), "Dev", "a_b", "x."}) {
      var result = cli.run("create", name, "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG);
      assertEquals(2, result.exit(), result.toString());
      assertTrue(result.stderr().startsWith("linux: invalid environment name"), result.toString());
      assertEquals(1, result.stderr().strip().lines().count(), result.toString());
    }
    // picocli reads an empty argument as a missing one: still one line and status 2.
    var empty = cli.run("create", "", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG);
    assertEquals(2, empty.exit(), empty.toString());
    assertEquals(1, empty.stderr().strip().lines().count(), empty.toString());
    var unknownOption = cli.run("create", "x", "--no-such-option");
    assertEquals(2, unknownOption.exit(), unknownOption.toString());
    assertEquals("linux: unknown option: '--no-such-option' (see 'linux create --help')", unknownOption.stderr().strip());
  }

  @Test
  @Order(10)
  void failedCreateLeavesNothingBehind() throws Exception {
    var missing = cli.run("create", "broken", "--image", "oci:" + work.resolve("nowhere"));
    assertEquals(3, missing.exit(), missing.toString());
    assertEquals(1, missing.stderr().strip().lines().count(), missing.toString());
    var badTag = cli.run("create", "broken", "--image", "oci:" + image + ":nope");
    assertEquals(2, badTag.exit(), badTag.toString());
    assertEquals(1, badTag.stderr().strip().lines().count(), badTag.toString());

    // A layer blob corrupted in the store: found only while its bytes are being written.
    Path corrupt = work.resolve("corrupt");
    copyTree(image, corrupt);
    Path layer;
    try (Stream<Path> blobs = Files.list(corrupt.resolve("blobs/sha256"))) {
      layer = blobs.max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(layer);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(layer, bytes);
    var corrupted = cli.run("create", "broken", "--image", "oci:" + corrupt + ":" + TestResources.BUSYBOX_TAG);
    assertEquals(2, corrupted.exit(), corrupted.toString());
    // Progress lines may come first; the error itself is one line.
    assertEquals(1, corrupted.stderr().lines().filter(l -> l.startsWith("linux: ")).count(), corrupted.toString());
    assertTrue(corrupted.stderr().contains("layer sha256:"), corrupted.toString());

    try (Stream<Path> left = Files.list(linuxHome.resolve("environments"))) {
      assertEquals(java.util.List.of(),
          left.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".locks")).toList());
    }
    var list = cli.run("list", "--json");
    assertEquals("[ ]", list.out().strip());
  }

  static void copyTree(Path from, Path to) throws java.io.IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
