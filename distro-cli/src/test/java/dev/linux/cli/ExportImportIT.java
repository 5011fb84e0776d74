package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code linux export} and {@code linux import} through the real CLI on real VMs: a busybox
 * environment with files written in it is exported while it runs (the guest writes the tar) and
 * while it is stopped (its disk is read on the host), both exports list the same tree, and the
 * stopped export imported into a new environment gives the same bytes back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExportImportIT {

  private static final String LONG_DIR = "root/data/" + "d".repeat(60) + "/" + "e".repeat(60);
  /** Mount points whose content belongs to other file systems while the environment runs. */
  private static final List<String> MOUNTS = List.of("proc/", "sys/", "dev/", "run/", "tmp/");

  @TempDir static Path work;
  static CliProcess cli;
  static Path image;
  static Path linuxHome;
  static final byte[] BLOB = new byte[300_000];

  @BeforeAll
  static void setUp() throws Exception {
    image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    linuxHome = work.resolve("home");
    cli = new CliProcess(System.getProperty("java.class.path"), linuxHome, TestResources.kernelDir(), null);
    new Random(7).nextBytes(BLOB);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("rm", "--force", "xb");
      cli.run("rm", "--force", "xi");
    }
  }

  @Test
  @Order(1)
  void exportWhileRunning() throws Exception {
    var created = cli.run("create", "xb", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "256M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());
    var write = cli.run(BLOB, "run", "xb", "--", "sh", "-c", String.join(" && ",
        "mkdir -p /root/data/" + LONG_DIR.substring("root/data/".length()),
        "cat > /root/data/blob",
        "printf 'hello export\\n' > /" + LONG_DIR + "/file-with-a-long-path.txt",
        "ln /root/data/blob /root/data/blob-link",
        "ln -s blob /root/data/blob-symlink",
        "mkfifo /root/data/fifo",
        "chmod 4750 /root/data/blob",
        "chown -h 3000000:1234 /root/data/blob-symlink",
        "touch /root/data/empty"));
    assertEquals(0, write.exit(), write.toString());

    var export = cli.run("export", "xb", work.resolve("running.tar").toString());
    assertEquals(0, export.exit(), export.toString());
    assertTrue(listing(work.resolve("running.tar")).containsKey("root/data/blob"));
  }

  @Test
  @Order(2)
  void exportWhileStoppedListsTheSameTree() throws Exception {
    var stop = cli.run("stop", "xb");
    assertEquals(0, stop.exit(), stop.toString());
    var gz = cli.run("export", "xb", work.resolve("stopped.tar.gz").toString());
    assertEquals(0, gz.exit(), gz.toString());
    var zst = cli.run("export", "xb", work.resolve("stopped.out").toString(), "--format", "tar.zst");
    assertEquals(0, zst.exit(), zst.toString());

    Map<String, String> running = listing(work.resolve("running.tar"));
    Map<String, String> stoppedGz = listing(work.resolve("stopped.tar.gz"));
    Map<String, String> stoppedZst = listing(work.resolve("stopped.out"));
    assertEquals(stoppedGz, stoppedZst);
    assertEquals(running, stoppedGz);

    assertEquals("file 300000 4750 0:0", stoppedGz.get("root/data/blob"));
    assertEquals("link->root/data/blob 0 4750 0:0", stoppedGz.get("root/data/blob-link"));
    assertEquals("symlink->blob 0 777 3000000:1234", stoppedGz.get("root/data/blob-symlink"));
    assertEquals("fifo 0 644 0:0", stoppedGz.get("root/data/fifo"));
    assertEquals("file 13 644 0:0", stoppedGz.get(LONG_DIR + "/file-with-a-long-path.txt"));
    assertTrue(stoppedGz.get("bin/busybox").startsWith("file "), stoppedGz.toString());
  }

  @Test
  @Order(3)
  void importOfTheStoppedExportGivesTheSameBytes() throws Exception {
    var imported = cli.run("import", "xi", work.resolve("stopped.out").toString(),
        "--disk", "256M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, imported.exit(), imported.toString());
    JsonNode list = new ObjectMapper().readTree(cli.run("list", "--json").stdout());
    JsonNode xi = null;
    for (JsonNode e : list) {
      if (e.get("name").asText().equals("xi")) {
        xi = e;
      }
    }
    assertEquals("stopped.out", xi.get("image").asText(), list.toString());

    var blob = cli.run("run", "xi", "--", "cat", "/root/data/blob");
    assertEquals(0, blob.exit(), blob.stderr());
    assertArrayEquals(BLOB, blob.stdout());
    var text = cli.run("run", "xi", "--", "cat", "/" + LONG_DIR + "/file-with-a-long-path.txt");
    assertEquals("hello export\n", text.out(), text.toString());
    var links = cli.run("run", "xi", "--", "stat", "-c", "%h %a %u:%g", "/root/data/blob");
    assertEquals("2 4750 0:0\n", links.out(), links.toString());

    var stop = cli.run("stop", "xi");
    assertEquals(0, stop.exit(), stop.toString());
    var again = cli.run("export", "xi", work.resolve("again.tar").toString());
    assertEquals(0, again.exit(), again.toString());
    assertEquals(listing(work.resolve("stopped.out")), listing(work.resolve("again.tar")));
  }

  @Test
  @Order(4)
  void badInputsGetOneLine() throws Exception {
    var missing = cli.run("export", "nosuch", work.resolve("x.tar").toString());
    assertEquals(3, missing.exit(), missing.toString());
    assertEquals(1, missing.stderr().strip().lines().count(), missing.toString());
    assertFalse(Files.exists(work.resolve("x.tar")));

    Path notADirectory = Files.writeString(work.resolve("plain-file"), "x");
    var unwritable = cli.run("export", "xb", notADirectory.resolve("out.tar").toString());
    assertTrue(unwritable.exit() != 0, unwritable.toString());
    assertEquals(1, unwritable.stderr().strip().lines().count(), unwritable.toString());

    var badFormat = cli.run("export", "xb", work.resolve("y.tar").toString(), "--format", "rar");
    assertEquals(2, badFormat.exit(), badFormat.toString());
    assertFalse(Files.exists(work.resolve("y.tar")));
    try (var files = Files.list(work)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".partial")), "no temporary file left");
    }
  }

  /** name → "type size mode uid:gid", leaving out what other file systems hold at run time. */
  private static Map<String, String> listing(Path archive) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(decompress(raw))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String name = e.getName();
        if (MOUNTS.stream().anyMatch(m -> name.startsWith(m) && name.length() > m.length())) {
          continue;
        }
        String type = e.isDirectory() ? "dir" : e.isSymbolicLink() ? "symlink->" + e.getLinkName()
            : e.isLink() ? "link->" + e.getLinkName() : e.isFIFO() ? "fifo"
            : e.isCharacterDevice() ? "chr" + e.getDevMajor() + "," + e.getDevMinor()
            : e.isBlockDevice() ? "blk" + e.getDevMajor() + "," + e.getDevMinor() : "file";
        boolean mountPoint = MOUNTS.contains(name);
        out.put(name, type + " " + e.getSize() + " " + (mountPoint ? "-" : Integer.toOctalString(e.getMode() & 07777))
            + " " + e.getLongUserId() + ":" + e.getLongGroupId());
      }
    }
    return out;
  }

  private static InputStream decompress(InputStream in) throws IOException {
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if ((head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in);
    }
    if ((head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5) {
      return new com.github.luben.zstd.ZstdInputStream(in);
    }
    return in;
  }
}
