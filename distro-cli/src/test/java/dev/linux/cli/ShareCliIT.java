package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Sharing through the CLI on one booted busybox environment per host user: as root, and as an
 * ordinary user with subordinate ids (created for the purpose; the CLI runs as that user through
 * runuser). The host home is shared at the same path, a second directory read-only at another
 * path, a third is not shared; then the file server is killed under the running environment and a
 * share removed for the next boot.
 */
class ShareCliIT {

  static final String USER = "linux-share-cli";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void sharesAsRoot() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    exercise(null);
  }

  @Test
  void sharesAsAnOrdinaryUserWithSubordinateIds() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creates a user: needs root");
    if (TestResources.host("id", "-u", USER).exit() != 0) {
      var add = TestResources.host("useradd", "--create-home", "--shell", "/bin/sh", USER);
      assertEquals(0, add.exit(), add.toString());
    }
    if (!Files.readString(Path.of("/etc/subuid")).contains(USER + ":")) {
      var sub = TestResources.host("usermod", "--add-subuids", "400000-465535", "--add-subgids", "400000-465535", USER);
      assertEquals(0, sub.exit(), sub.toString());
    }
    exercise(USER);
  }

  private void exercise(String user) throws Exception {
    Path work = Files.createTempDirectory("linux-share-cli-");
    try {
      Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
      String classpath = System.getProperty("java.class.path");
      Path linuxHome = work.resolve("data");
      Path hostHome;
      if (user != null) {
        classpath = NonRootLifecycleIT.copyClasspath(classpath, Files.createDirectories(work.resolve("cp")));
        hostHome = Path.of("/home", user);
      } else {
        hostHome = Files.createDirectories(work.resolve("home"));
      }
      Path project = hostHome.resolve("share-it-project");
      Path readOnly = work.resolve("ro");
      Path secret = work.resolve("secret");
      TestResources.host("rm", "-rf", project.toString());
      for (Path dir : List.of(linuxHome, project, readOnly, secret)) {
        Files.createDirectories(dir);
      }
      Files.writeString(project.resolve("hello"), "from the host\n");
      Files.writeString(readOnly.resolve("ro-file"), "read me\n");
      Files.writeString(secret.resolve("secret"), "never\n");
      assertEquals(0, TestResources.host("dd", "if=/dev/urandom", "of=" + project.resolve("big"), "bs=1M", "count=256",
          "status=none").exit());
      if (user != null) {
        TestResources.makeReadable(work);
        for (Path p : List.of(linuxHome, project, readOnly, secret)) {
          assertEquals(0, TestResources.host("chown", "-R", user + ":", p.toString()).exit());
        }
      }
      String uid = out(TestResources.host("id", "-u", user != null ? user : "root"));
      String gid = out(TestResources.host("id", "-g", user != null ? user : "root"));
      CliProcess cli = new CliProcess(classpath, linuxHome, TestResources.kernelDir(), user).env("HOME", hostHome.toString());
      String imageRef = "oci:" + image + ":" + TestResources.BUSYBOX_TAG;

      // Bad shares: one line, exit status 2, nothing created.
      for (String bad : List.of("relative/dir", work.resolve("missing").toString(), readOnly + ":/proc/x",
          readOnly + ":relative")) {
        var refused = cli.run("create", "bad", "--image", imageRef, "--share", bad);
        assertEquals(2, refused.exit(), refused.toString());
        assertEquals(1, refused.stderr().strip().lines().count(), refused.toString());
      }
      var twice = cli.run("create", "bad", "--image", imageRef, "--share", readOnly + ":/mnt/x", "--share", secret + ":/mnt/x");
      assertEquals(2, twice.exit(), twice.toString());
      assertEquals("[]", cli.run("list", "--json").out().strip().replaceAll("\\s", ""));

      var created = cli.run("create", "sh", "--image", imageRef, "--disk", "1G", "--memory", "512M", "--cpus", "1",
          "--share", readOnly + ":/mnt/ro:ro");
      assertEquals(0, created.exit(), created.toString());
      try {
        // Host files at the same path; guest files on the host as the host user's.
        var hello = cli.run("run", "sh", "--", "cat", project.resolve("hello").toString());
        assertEquals("from the host\n", hello.out(), hello.toString());
        var write = cli.run("run", "sh", "--", "sh", "-c", "echo from the guest > " + project + "/guest.txt && mkdir " + project + "/gdir");
        assertEquals(0, write.exit(), write.toString());
        assertEquals("from the guest\n", Files.readString(project.resolve("guest.txt")));
        for (String made : List.of("guest.txt", "gdir")) {
          assertEquals(uid + ":" + gid, out(TestResources.host("stat", "-c", "%u:%g", project.resolve(made).toString())), made);
        }
        var owner = cli.run("run", "sh", "--", "stat", "-c", "%u:%g", project.resolve("hello").toString());
        assertEquals(uid + ":" + gid, owner.out().strip(), owner.toString());

        // 256 MiB both ways, hashed on both sides.
        String hostSum = out(TestResources.host("sha256sum", project.resolve("big").toString())).split(" ")[0];
        var copy = cli.run("run", "sh", "--", "sh", "-c", "cd " + project + " && sha256sum big && cp big big2 && sync");
        assertEquals(0, copy.exit(), copy.toString());
        assertEquals(hostSum, copy.out().split(" ")[0], copy.toString());
        assertEquals(hostSum, out(TestResources.host("sha256sum", project.resolve("big2").toString())).split(" ")[0]);

        // Read-only share: readable, writes refused; an unshared directory is not there.
        var ro = cli.run("run", "sh", "--", "cat", "/mnt/ro/ro-file");
        assertEquals("read me\n", ro.out(), ro.toString());
        var roWrite = cli.run("run", "sh", "--", "sh", "-c", "echo x > /mnt/ro/new");
        assertTrue(roWrite.exit() != 0 && roWrite.stderr().contains("Read-only"), roWrite.toString());
        assertFalse(Files.exists(readOnly.resolve("new")));
        var hidden = cli.run("run", "sh", "--", "sh", "-c", "ls " + secret);
        assertTrue(hidden.exit() != 0 && !hidden.out().contains("secret"), hidden.toString());

        // The working directory carries over inside a share; elsewhere the guest home; -w wins.
        var pwd = cli.directory(project).run("run", "sh", "--", "pwd");
        assertEquals(project + "\n", pwd.out(), pwd.toString());
        var outside = cli.directory(secret).run("run", "sh", "--", "pwd");
        assertEquals((user != null ? "/home/" + user : "/root") + "\n", outside.out(), outside.toString());
        assertEquals("", outside.stderr(), "no notice without a terminal");
        var explicit = cli.directory(project).run("run", "-w", "/mnt/ro", "sh", "--", "pwd");
        assertEquals("/mnt/ro\n", explicit.out(), explicit.toString());
        cli.directory(null);

        // linux path both ways; outside every share: exit 1.
        var toGuest = cli.run("path", "sh", readOnly.resolve("ro-file").toString());
        assertEquals("/mnt/ro/ro-file\n", toGuest.out(), toGuest.toString());
        var toHost = cli.run("path", "--to-host", "sh", "/mnt/ro/ro-file");
        assertEquals(readOnly.resolve("ro-file") + "\n", toHost.out(), toHost.toString());
        var home = cli.run("path", "sh", project.toString());
        assertEquals(project + "\n", home.out(), home.toString());
        var none = cli.run("path", "sh", secret.toString());
        assertEquals(1, none.exit(), none.toString());
        assertEquals(1, none.stderr().strip().lines().count(), none.toString());

        // inspect: both shares served.
        JsonNode inspect = JSON.readTree(cli.run("inspect", "sh", "--json").stdout());
        assertEquals(2, inspect.get("shares").size(), inspect.toString());
        for (JsonNode share : inspect.get("shares")) {
          assertEquals("served", share.get("state").asText(), inspect.toString());
        }

        // Bad set: one line, exit 2, nothing changed.
        var notShared = cli.run("set", "sh", "--unshare", secret.toString(), "--cpus", "2");
        assertEquals(2, notShared.exit(), notShared.toString());
        assertEquals(1, JSON.readTree(cli.run("inspect", "sh", "--json").stdout()).get("cpus").asInt());

        // The read-only share's file server dies under the running environment: noticed, and the
        // environment is stopped as broken, the reason naming the share.
        killHelperOf(readOnly);
        JsonNode after = null;
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
          after = JSON.readTree(cli.run("inspect", "sh", "--json").stdout());
          if (after.get("state").asText().equals("broken")) {
            break;
          }
          Thread.sleep(500);
        }
        assertEquals("broken", after.get("state").asText(), after.toString());
        assertTrue(after.get("stateReason").asText().contains(readOnly.toString()), after.toString());

        // Unshare it; the next boot has only the home.
        var unshare = cli.run("set", "sh", "--unshare", "/mnt/ro");
        assertEquals(0, unshare.exit(), unshare.toString());
        var gone = cli.run("run", "sh", "--", "sh", "-c", "ls -A /mnt/ro; cat " + project + "/hello");
        assertEquals("from the host\n", gone.out(), gone.toString());
        JsonNode last = JSON.readTree(cli.run("inspect", "sh", "--json").stdout());
        assertEquals(1, last.get("shares").size(), last.toString());
        assertEquals(hostHome.toRealPath().toString(), last.get("shares").get(0).get("guest").asText());
      } finally {
        var rm = cli.run("rm", "--force", "sh");
        assertEquals(0, rm.exit(), rm.toString());
        cli.run("shutdown");
      }
      assertTrue(helpersOf(readOnly).isEmpty() && helpersOf(hostHome).isEmpty(), "no file server left");
    } finally {
      TestResources.host("rm", "-rf", work.toString());
      if (user != null) {
        TestResources.host("rm", "-rf", Path.of("/home", user, "share-it-project").toString());
      }
    }
  }

  private static List<ProcessHandle> helpersOf(Path source) {
    List<ProcessHandle> found = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> {
      String line = String.join(" ", p.info().arguments().orElse(new String[0]));
      if (p.info().command().orElse("").endsWith("sharehelper") && line.contains("-source " + source + " ")
          && !line.contains("-stage2")) {
        found.add(p);
      }
    });
    return found;
  }

  private static void killHelperOf(Path source) {
    List<ProcessHandle> helpers = helpersOf(source);
    assertEquals(1, helpers.size(), "one helper serves " + source);
    helpers.get(0).destroyForcibly();
  }

  private static String out(CliProcess.Result r) {
    return new String(r.stdout(), StandardCharsets.UTF_8).strip();
  }
}
