package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings, configuration and the lifecycle commands beyond create/start/stop, through the real
 * CLI on real VMs. One busybox environment is shared by all steps (boots under TCG are slow): it is
 * resized and restarted, inspected, made the default, copied to and from, renamed and cloned.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MoreLifecycleIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path work;
  static CliProcess cli;
  static Path linuxHome;

  @BeforeAll
  static void setUp() throws Exception {
    Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    linuxHome = work.resolve("home");
    cli = new CliProcess(System.getProperty("java.class.path"), linuxHome, TestResources.kernelDir(), null);
    var created = cli.run("create", "mo", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "256M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      for (String name : new String[] {"mo", "mb", "mc"}) {
        cli.run("rm", "--force", name);
      }
    }
  }

  @Test
  @Order(1)
  void newMemoryIsSeenAfterRestart() throws Exception {
    long before = memTotalKiB("mo");
    var set = cli.run("set", "mo", "--memory", "448M", "--idle-timeout", "-1");
    assertEquals(0, set.exit(), set.toString());
    assertTrue(set.stderr().contains("linux restart mo"), set.toString());
    assertEquals(before, memTotalKiB("mo"), "settings apply only on the next boot");

    var restart = cli.run("restart", "mo");
    assertEquals(0, restart.exit(), restart.toString());
    long after = memTotalKiB("mo");
    assertTrue(after - before > 150 * 1024, "MemTotal " + before + " kB -> " + after + " kB");
  }

  @Test
  @Order(2)
  void logsShowTheConsole() throws Exception {
    var logs = cli.run("logs", "mo");
    assertEquals(0, logs.exit(), logs.toString());
    assertTrue(logs.out().contains("vminitd: serving"), logs.out());
    assertArrayEquals(Files.readAllBytes(linuxHome.resolve("environments/mo/console.log")), logs.stdout());

    // -f prints what is there, then keeps following until it is stopped.
    Process follow = new ProcessBuilder(cli.command("logs", "-f", "mo")).redirectErrorStream(true).start();
    try {
      follow.getOutputStream().close();
      java.io.BufferedReader lines = new java.io.BufferedReader(
          new java.io.InputStreamReader(follow.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      String line;
      while ((line = lines.readLine()) != null && !line.contains("vminitd: serving")) {
        // skip to the agent's line
      }
      assertTrue(line != null, "logs -f ended before printing the console");
      Thread.sleep(500);
      assertTrue(follow.isAlive(), "logs -f keeps following");
    } finally {
      follow.destroy();
      follow.waitFor();
    }
  }

  @Test
  @Order(3)
  void inspectJsonDescribesTheRunningVm() throws Exception {
    var inspect = cli.run("inspect", "mo", "--json");
    assertEquals(0, inspect.exit(), inspect.toString());
    JsonNode node = JSON.readTree(inspect.stdout());
    assertEquals("mo", node.get("name").asText());
    assertEquals("running", node.get("state").asText());
    assertTrue(node.get("pid").asLong() > 0, node.toString());
    assertEquals(448L << 20, node.get("memoryBytes").asLong());
    assertEquals(-1, node.get("idleTimeoutSeconds").asLong());
    assertEquals("environment", node.get("idleTimeoutSource").asText());
    assertTrue(node.get("diskUsedBytes").asLong() > 0, node.toString());
    assertTrue(node.get("kernel").asText().endsWith("vmlinuz"), node.toString());
    assertFalse(node.get("accelerator").asText().isEmpty(), node.toString());
    assertTrue(node.get("automount").asBoolean(), node.toString());
    assertEquals(0, node.get("configProblems").size(), node.toString());

    var text = cli.run("inspect", "mo");
    assertEquals(0, text.exit(), text.toString());
    assertTrue(text.out().contains("memoryBytes:        448 MiB"), text.out());
  }

  @Test
  @Order(4)
  void runWithoutANameUsesTheDefault() throws Exception {
    var withoutDefault = cli.run("run", "--", "true");
    assertEquals(125, withoutDefault.exit(), withoutDefault.toString());
    assertTrue(withoutDefault.stderr().contains("no environment named 'dev'"), withoutDefault.toString());

    var setDefault = cli.run("set-default", "mo");
    assertEquals(0, setDefault.exit(), setDefault.toString());
    var run = cli.run("run", "--", "true");
    assertEquals(0, run.exit(), run.toString());
    var hostname = cli.run("run", "--", "cat", "/proc/sys/kernel/hostname");
    assertEquals("mo\n", hostname.out(), hostname.toString());
    var named = cli.run("run", "mo", "--", "sh", "-c", "exit 3");
    assertEquals(3, named.exit(), named.toString());
    var config = cli.run("config", "get", "defaultEnvironment");
    assertEquals("mo\n", config.out(), config.toString());
  }

  @Test
  @Order(5)
  void cpCopiesBothWaysByteExact() throws Exception {
    byte[] data = new byte[1 << 20];
    new Random(7).nextBytes(data);
    Path source = work.resolve("blob.bin");
    Files.write(source, data);

    var in = cli.run("cp", source.toString(), "mo:/root/");
    assertEquals(0, in.exit(), in.toString());
    var sum = cli.run("run", "mo", "--", "wc", "-c", "/root/blob.bin");
    assertEquals("1048576 /root/blob.bin", sum.out().strip(), sum.toString());

    Path back = work.resolve("back.bin");
    var out = cli.run("cp", "mo:/root/blob.bin", back.toString());
    assertEquals(0, out.exit(), out.toString());
    assertArrayEquals(data, Files.readAllBytes(back));

    var fromStdin = cli.run(data, "cp", "-", "mo:/root/stdin.bin");
    assertEquals(0, fromStdin.exit(), fromStdin.toString());
    var toStdout = cli.run("cp", "mo:/root/stdin.bin", "-");
    assertEquals(0, toStdout.exit(), toStdout.toString());
    assertArrayEquals(data, toStdout.stdout());

    var missing = cli.run("cp", "mo:/root/no-such-file", work.resolve("x").toString());
    assertEquals(3, missing.exit(), missing.toString());
    assertEquals(1, missing.stderr().strip().lines().count(), missing.toString());
  }

  @Test
  @Order(6)
  void renameAndCloneNeedAStoppedEnvironment() throws Exception {
    var write = cli.run("run", "mo", "--", "sh", "-c", "echo original > /root/marker");
    assertEquals(0, write.exit(), write.toString());
    var running = cli.run("rename", "mo", "mb");
    assertEquals(5, running.exit(), running.toString());
    assertTrue(running.stderr().contains("linux stop mo"), running.toString());

    assertEquals(0, cli.run("stop", "mo").exit());
    var rename = cli.run("rename", "mo", "mb");
    assertEquals(0, rename.exit(), rename.toString());
    assertFalse(Files.exists(linuxHome.resolve("environments/mo")));
    assertEquals("mb\n", cli.run("config", "get", "defaultEnvironment").out(), "the default follows a rename");

    var clone = cli.run("clone", "mb", "mc");
    assertEquals(0, clone.exit(), clone.toString());
    var taken = cli.run("clone", "mb", "mc");
    assertEquals(4, taken.exit(), taken.toString());

    var inClone = cli.run("run", "mc", "--", "sh", "-c", "cat /root/marker; echo changed > /root/marker; hostname");
    assertEquals("original\nmc\n", inClone.out(), inClone.toString());
    var inOriginal = cli.run("run", "mb", "--", "cat", "/root/marker");
    assertEquals("original\n", inOriginal.out(), inOriginal.toString());
    JsonNode clonedRecord = JSON.readTree(cli.run("inspect", "mc", "--json").stdout());
    assertEquals(448L << 20, clonedRecord.get("memoryBytes").asLong());
  }

  @Test
  @Order(7)
  void stopAllStopsEveryEnvironment() throws Exception {
    var stop = cli.run("stop", "--all");
    assertEquals(0, stop.exit(), stop.toString());
    assertTrue(stop.stderr().contains("stopped mb") && stop.stderr().contains("stopped mc"), stop.toString());
    for (JsonNode env : JSON.readTree(cli.run("list", "--json").stdout())) {
      assertEquals("stopped", env.get("state").asText(), env.toString());
    }
    var shutdown = cli.run("shutdown");
    assertEquals(0, shutdown.exit(), shutdown.toString());
  }

  @Test
  @Order(8)
  void invalidConfigurationIsNamed() throws Exception {
    Path config = linuxHome.resolve("config/linux.conf");
    Files.writeString(config, Files.readString(config) + "memory = lots\n");
    var list = cli.run("list");
    assertEquals(2, list.exit(), list.toString());
    assertTrue(list.stderr().contains("linux.conf, line 2: memory: invalid size 'lots'"), list.toString());
    assertEquals(1, list.stderr().strip().lines().count(), list.toString());
    Files.writeString(config, "defaultEnvironment = mb\n");
  }

  private static long memTotalKiB(String env) throws Exception {
    var meminfo = cli.run("run", env, "--", "cat", "/proc/meminfo");
    assertEquals(0, meminfo.exit(), meminfo.toString());
    Matcher m = Pattern.compile("MemTotal:\\s+(\\d+) kB").matcher(meminfo.out());
    assertTrue(m.find(), meminfo.out());
    return Long.parseLong(m.group(1));
  }
}
