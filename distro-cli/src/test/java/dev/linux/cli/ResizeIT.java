package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code linux resize} through the real CLI on a real VM: a busybox environment with a 128 MiB
 * disk grows to 1 GiB while stopped, the guest sees the new size, its files are intact and the disk
 * passes e2fsck; resizing a running environment and shrinking are refused.
 */
class ResizeIT {

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
      cli.run("rm", "--force", "rs");
    }
  }

  @Test
  void growsAStoppedDiskAndRefusesRunningOrShrinking() throws Exception {
    var created = cli.run("create", "rs", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "128M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    var write = cli.run("run", "rs", "--", "sh", "-c", "echo kept > /root/marker && sync");
    assertEquals(0, write.exit(), write.toString());
    long before = dfKilobytes();
    assertTrue(before < 128 * 1024, "a 128M disk reports " + before + " KiB");

    var whileRunning = cli.run("resize", "rs", "1G");
    assertEquals(5, whileRunning.exit(), whileRunning.toString());
    assertTrue(whileRunning.stderr().contains("linux stop rs"), whileRunning.stderr());

    var stop = cli.run("stop", "rs");
    assertEquals(0, stop.exit(), stop.toString());
    var shrink = cli.run("resize", "rs", "64M");
    assertEquals(2, shrink.exit(), shrink.toString());
    assertTrue(shrink.stderr().contains("shrink"), shrink.stderr());
    assertEquals(128L << 20, diskBytesRecorded());

    var resize = cli.run("resize", "rs", "1G");
    assertEquals(0, resize.exit(), resize.toString());
    assertEquals(1L << 30, diskBytesRecorded());
    assertEquals(1L << 30, Files.size(disk()));
    assertFsckClean();

    long after = dfKilobytes();
    assertTrue(after > 900 * 1024 && after <= 1024 * 1024, "a 1G disk reports " + after + " KiB");
    var read = cli.run("run", "rs", "--", "cat", "/root/marker");
    assertEquals(0, read.exit(), read.toString());
    assertEquals("kept\n", read.out());
    var fill = cli.run("run", "rs", "--", "sh", "-c",
        "dd if=/dev/zero of=/root/big bs=1M count=300 2>/dev/null && sync && wc -c < /root/big");
    assertEquals(0, fill.exit(), fill.toString());
    assertEquals(300L << 20, Long.parseLong(fill.out().trim()), "the new space is usable");

    assertEquals(0, cli.run("stop", "rs").exit());
    assertFsckClean();
  }

  private long dfKilobytes() throws Exception {
    var df = cli.run("run", "rs", "--", "df", "-k", "/");
    assertEquals(0, df.exit(), df.toString());
    String[] lines = df.out().strip().split("\n");
    return Long.parseLong(lines[lines.length - 1].trim().split("\\s+")[1]);
  }

  private long diskBytesRecorded() throws Exception {
    return new ObjectMapper().readTree(linuxHome.resolve("environments/rs/env.json").toFile()).get("diskBytes").asLong();
  }

  private static Path disk() {
    return linuxHome.resolve("environments/rs/disk.ext4");
  }

  private static void assertFsckClean() throws Exception {
    var fsck = TestResources.host("e2fsck", "-fn", disk().toString());
    assertEquals(0, fsck.exit(), new String(fsck.stdout(), StandardCharsets.UTF_8));
  }
}
