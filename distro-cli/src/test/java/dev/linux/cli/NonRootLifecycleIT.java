package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The basic lifecycle as an ordinary user. When the tests run as root, they create a user for the
 * purpose and run the CLI as that user (with a copy of the class path it can read); otherwise the
 * current, already unprivileged user is used.
 */
class NonRootLifecycleIT {

  static final String USER = "linux-it";

  @Test
  void lifecycleWorksWithoutRoot() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path work = Files.createTempDirectory("linux-nonroot-");
    try {
      Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
      String classpath = System.getProperty("java.class.path");
      String user = null;
      if (root) {
        user = USER;
        ensureUser(USER);
        classpath = copyClasspath(classpath, Files.createDirectories(work.resolve("cp")));
        TestResources.makeReadable(work);
      }
      Path home = work.resolve("home");
      if (root) {
        Files.createDirectories(home);
        assertEquals(0, TestResources.host("chown", USER + ":", home.toString()).exit());
      }
      CliProcess cli = new CliProcess(classpath, home, TestResources.kernelDir(), user);

      var created = cli.run("create", "plain", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
          "--disk", "128M", "--memory", "256M", "--cpus", "1");
      assertEquals(0, created.exit(), created.toString());
      try {
        // The guest's default user is the host user: same name, uid and gid, created on first use.
        var who = cli.run("run", "plain", "--", "sh", "-c", "id -un; id -u; id -g; pwd");
        assertEquals(0, who.exit(), who.toString());
        String hostName = root ? USER : System.getProperty("user.name");
        String hostIds = new String(TestResources.host("id", "-u", hostName).stdout(), StandardCharsets.UTF_8).strip()
            + "\n" + new String(TestResources.host("id", "-g", hostName).stdout(), StandardCharsets.UTF_8).strip();
        assertEquals(hostName + "\n" + hostIds + "\n/home/" + hostName + "\n", who.out(), who.toString());
        // A closed stdin reads as empty (the JVM's own first file must not become the guest's input).
        var closed = cli.runWithStdinClosed("run", "plain", "--", "wc", "-c");
        assertEquals(0, closed.exit(), closed.toString());
        assertEquals("0", closed.out().strip(), closed.toString());
        if (root) {
          assertPrivateToUser(home);
        }
        var id = cli.run("run", "plain", "--", "sh", "-c", "uname -s; exit 3");
        assertEquals(3, id.exit(), id.toString());
        assertEquals("Linux\n", id.out());
        var list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cli.run("list", "--json").stdout());
        var qemuOwner = TestResources.host("ps", "-o", "user=", "-p", list.get(0).get("pid").asText());
        if (root) {
          assertEquals(USER, new String(qemuOwner.stdout(), StandardCharsets.UTF_8).strip(), "QEMU runs as the user");
        }
        assertEquals(0, cli.run("stop", "plain").exit());
        var again = cli.run("run", "plain", "--", "echo", "again");
        assertEquals("again\n", again.out(), again.toString());
        assertEquals(0, cli.run("stop", "plain").exit());
      } finally {
        var rm = cli.run("rm", "--force", "plain");
        assertEquals(0, rm.exit(), rm.toString());
      }
      assertFalse(Files.exists(home.resolve("environments/plain")));
      if (root) {
        var owners = TestResources.host("find", home.toString(), "-not", "-user", USER);
        assertEquals("", new String(owners.stdout(), StandardCharsets.UTF_8).strip(),
            "every file the CLI made belongs to the user");
      }
    } finally {
      TestResources.host("rm", "-rf", work.toString());
    }
  }

  /**
   * Nothing of a running environment can be read or reached by another local user: no group or
   * other permission on anything under the data or runtime directories, and a second user's reads
   * of the disk, the record and the daemon's socket all fail.
   */
  private static void assertPrivateToUser(Path home) throws Exception {
    String uid = new String(TestResources.host("id", "-u", USER).stdout(), StandardCharsets.UTF_8).strip();
    // This instance's runtime directory (other instances of the same user may have their own).
    Path runtime = dev.linux.env.LinuxHome.fromEnvironment(java.util.Map.of(
        "LINUX_HOME", home.toString(),
        "XDG_RUNTIME_DIR", Path.of(System.getProperty("java.io.tmpdir"), "linux-" + uid).toString())).runtime();
    assertTrue(Files.isDirectory(runtime), runtime.toString());
    for (Path tree : List.of(home, runtime)) {
      var open = TestResources.host("find", tree.toString(), "-mindepth", "1", "-perm", "/077", "-not", "-type", "l");
      assertEquals("", new String(open.stdout(), StandardCharsets.UTF_8).strip(),
          "files under " + tree + " that others may use");
    }
    ensureUser(OTHER_USER);
    Path env = home.resolve("environments/plain");
    for (Path file : List.of(env.resolve("disk.ext4"), env.resolve("env.json"), env.resolve("console.log"))) {
      assertTrue(Files.exists(file), file.toString());
      var read = TestResources.host("runuser", "-u", OTHER_USER, "--", "head", "-c", "1", file.toString());
      assertTrue(read.exit() != 0, OTHER_USER + " read " + file);
    }
    var sockets = TestResources.host("find", runtime.toString(), "-type", "s");
    String socketList = new String(sockets.stdout(), StandardCharsets.UTF_8).strip();
    assertTrue(socketList.contains("daemon.sock") && socketList.contains("agent.sock"), socketList);
    for (String socket : socketList.split("\n")) {
      // Connecting needs write permission on the socket and search permission on every directory
      // above it: exactly what access(W_OK) checks.
      var connect = TestResources.host("runuser", "-u", OTHER_USER, "--", "test", "-w", socket);
      assertTrue(connect.exit() != 0, OTHER_USER + " may connect to " + socket);
    }
  }

  static final String OTHER_USER = "linux-it-other";

  private static void ensureUser(String user) throws Exception {
    if (TestResources.host("id", "-u", user).exit() != 0) {
      var add = TestResources.host("useradd", "--create-home", "--shell", "/bin/sh", user);
      assertEquals(0, add.exit(), new String(add.stdout(), StandardCharsets.UTF_8));
    }
    assertTrue(TestResources.host("id", "-u", user).exit() == 0);
  }

  static String copyClasspath(String classpath, Path target) throws Exception {
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : classpath.split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path copy = target.resolve((i++) + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        LifecycleIT.copyTree(source, copy);
      } else {
        Files.copy(source, copy);
      }
      entries.add(copy.toString());
    }
    return String.join(File.pathSeparator, entries);
  }
}
