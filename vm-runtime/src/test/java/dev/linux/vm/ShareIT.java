package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.share.ShareSpec;
import dev.linux.share.VirtiofsServer;
import dev.linux.vm.testing.BootedVm;
import dev.linux.vm.testing.TestDisks;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Boots one VM (busybox) with three virtiofs shares: a writable and a read-only one served by
 * {@link VirtiofsServer} in this JVM (root), and one served by a {@link VirtiofsServer} in a JVM
 * running as an ordinary user with subordinate ids ({@value #USER}, created when missing), so
 * virtiofsd runs in a user namespace. QEMU runs as root and connects to all three sockets. The
 * writable and the user's share each hold a fake linux data directory (a disk image) that the
 * server hides.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShareIT {
  static final String USER = "linux-share-it";

  private Path work;
  private Path rw;
  private Path ro;
  private Path userShare;
  private VirtiofsServer server;
  private Process userServer;
  private VirtualMachine vm;
  private long userUid;
  private long userGid;

  @BeforeAll
  void boot() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (makes a user)");
    work = Files.createTempDirectory("shareit");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path host = Files.createDirectories(work.resolve("host"));
    rw = Files.createDirectories(host.resolve("rw dir"));
    ro = Files.createDirectories(host.resolve("ro"));
    Files.setPosixFilePermissions(rw, PosixFilePermissions.fromString("rwxrwxrwx")); // for guest uid 1234
    Files.writeString(rw.resolve("hello.txt"), "from the host\n");
    Files.writeString(ro.resolve("ro.txt"), "read only\n");
    Files.writeString(host.resolve("secret.txt"), "host secret\n");
    Files.createDirectories(host.resolve("private"));
    Files.writeString(host.resolve("private/p.txt"), "private\n");
    Files.createSymbolicLink(rw.resolve("escape"), host.resolve("secret.txt"));
    Files.createSymbolicLink(rw.resolve("escape-dir"), host.resolve("private"));
    Path data = Files.createDirectories(rw.resolve("linux-data/environments/other"));
    Files.writeString(data.resolve("disk.img"), "another environment's disk\n");

    server =
        VirtiofsServer.start(
            List.of(ShareSpec.samePath(rw), new ShareSpec(ro, "/mnt/ro", true)), work.resolve("fs"),
            List.of(rw.resolve("linux-data"), host.resolve("private"), rw.resolve("not-there")));
    List<VirtiofsMount> mounts = new ArrayList<>();
    for (VirtiofsServer.Export e : server.exports()) {
      mounts.add(new VirtiofsMount(e.tag(), e.socket(), e.share().guestPath(), e.share().readOnly()));
    }
    VirtiofsServer.Export userExport = startUserServer();
    mounts.add(new VirtiofsMount("user", userExport.socket(), "/mnt/user", false));

    vm = BootedVm.named("shareit").work(work).shares(mounts).readyTimeout(Duration.ofSeconds(90))
        .boot(TestDisks.busybox().allApplets().dir("mnt")::build)
        .vm();
  }

  /** Runs {@link Serve} as {@value #USER} and returns what it serves. */
  private VirtiofsServer.Export startUserServer() throws Exception {
    if (host("id", "-u", USER).isEmpty()) {
      host("useradd", "--create-home", "--shell", "/bin/sh", USER);
    }
    if (!Files.readString(Path.of("/etc/subuid")).contains(USER + ":")) {
      host("usermod", "--add-subuids", "300000-365535", "--add-subgids", "300000-365535", USER);
    }
    userUid = Long.parseLong(host("id", "-u", USER).strip());
    userGid = Long.parseLong(host("id", "-g", USER).strip());
    userShare = Files.createDirectories(work.resolve("user"));
    Files.writeString(userShare.resolve("mine.txt"), "user file\n");
    Path userData = Files.createDirectories(userShare.resolve(".local/share/linux/environments/e"));
    Files.writeString(userData.resolve("disk.img"), "the user's disk\n");
    Path userRun = Files.createDirectories(work.resolve("user-run"));
    // Classes the user can read: fs-share's and this test's Serve.
    Path cp = Files.createDirectories(work.resolve("cp"));
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.contains("fs-share") || entry.endsWith("test-classes")) {
        Path copy = cp.resolve(entries.size() + "");
        host("cp", "-r", entry, copy.toString());
        entries.add(copy.toString());
      }
    }
    host("chmod", "-R", "a+rX", cp.toString());
    host("chown", "-R", USER + ":", userShare.toString(), userRun.toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    userServer =
        new ProcessBuilder(
                "runuser", "-u", USER, "--", java, "-cp", String.join(File.pathSeparator, entries),
                Serve.class.getName(), userShare.toString(), userRun.toString(),
                userShare.resolve(".local/share/linux").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(userServer.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertTrue(line != null && line.startsWith("serving "), "rootless server: " + line);
    return new VirtiofsServer.Export("user", Path.of(line.substring("serving ".length())), null);
  }

  /** As the user: serves DIR from RUNDIR hiding HIDE, prints "serving SOCKET", stops when stdin closes. */
  public static final class Serve {
    public static void main(String[] args) throws Exception {
      try (VirtiofsServer s =
          VirtiofsServer.start(List.of(new ShareSpec(Path.of(args[0]), "/mnt/user", false)), Path.of(args[1]),
              List.of(Path.of(args[2])))) {
        System.out.println("serving " + s.exports().get(0).socket());
        System.out.flush();
        while (System.in.read() >= 0) {
          // until the test closes our stdin
        }
      }
    }
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (vm != null && vm.isRunning()) {
      vm.stop(Duration.ofSeconds(3));
    }
    if (server != null) {
      server.close();
    }
    if (userServer != null) {
      userServer.getOutputStream().close();
      if (!userServer.waitFor(10, TimeUnit.SECONDS)) {
        userServer.destroyForcibly();
      }
    }
    if (work != null && System.getProperty("linux.test.keep") == null) {
      host("rm", "-rf", work.toString());
    }
  }

  @Test
  void sharedDirectoriesWorkAndStayInside() throws Exception {
    String g = rw.toString(); // the same path in the guest
    try (GuestAgent agent = vm.connectAgent()) {
      assertEquals("from the host\n", run(agent, "cat", g + "/hello.txt"));
      // a guest-made file appears on the host, owned by the guest's uid
      run(agent, "sh", "-c", "echo guest > '" + g + "/guest.txt'");
      assertEquals("guest\n", Files.readString(rw.resolve("guest.txt")));
      assertEquals(0, Files.getAttribute(rw.resolve("guest.txt"), "unix:uid"));
      runAs(agent, 1234, 1235, "sh", "-c", "echo x > '" + g + "/byuser.txt'");
      assertEquals(1234, Files.getAttribute(rw.resolve("byuser.txt"), "unix:uid"));
      assertEquals(1235, Files.getAttribute(rw.resolve("byuser.txt"), "unix:gid"));
      // rename, delete, symlink, hard link, chmod, mtime
      run(agent, "sh", "-c",
          "cd '" + g + "' && mv guest.txt moved.txt && rm byuser.txt && ln -s moved.txt link"
              + " && ln moved.txt hard && chmod 640 moved.txt && touch -d '2001-02-03 04:05:06' moved.txt");
      assertFalse(Files.exists(rw.resolve("guest.txt")));
      assertFalse(Files.exists(rw.resolve("byuser.txt")));
      assertEquals(Path.of("moved.txt"), Files.readSymbolicLink(rw.resolve("link")));
      assertEquals(2, Files.getAttribute(rw.resolve("moved.txt"), "unix:nlink"));
      assertEquals("rw-r-----",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(rw.resolve("moved.txt"))));
      assertEquals(981173106L, Files.getLastModifiedTime(rw.resolve("moved.txt")).toInstant().getEpochSecond(),
          "mtime (UTC 2001-02-03 04:05:06)");
      assertEquals("from the host\n", run(agent, "sh", "-c", "cat '" + g + "/link' >/dev/null; cat '" + g + "/hello.txt'"));

      // shares are nosuid,nodev and virtiofs
      String mounts = run(agent, "cat", "/proc/mounts");
      assertTrue(mounts.contains("fs1 /mnt/ro virtiofs ro,nosuid,nodev"), mounts);
      assertTrue(mounts.contains("fs0 " + g.replace(" ", "\\040") + " virtiofs rw,nosuid,nodev"), mounts);
      // read-only share: readable, writes fail with EROFS even for root; a guest root that
      // remounts it read-write still cannot write (virtiofsd serves a read-only bind mount)
      assertEquals("read only\n", run(agent, "cat", "/mnt/ro/ro.txt"));
      String rofs = run(agent, "sh", "-c", "echo x > /mnt/ro/new 2>&1; touch /mnt/ro/ro.txt 2>&1; true");
      assertTrue(rofs.contains("Read-only file system"), rofs);
      String remount = run(agent, "sh", "-c", "mount -o remount,rw /mnt/ro 2>&1; touch /mnt/ro/new 2>&1; true");
      assertFalse(Files.exists(ro.resolve("new")), "ro share written after a guest remount: " + remount);
      assertTrue(remount.contains("Read-only file system"), remount);

      // symlinks and .. do not leave the share
      String escape = run(agent, "sh", "-c",
          "cat '" + g + "/escape' 2>&1; ls '" + g + "/escape-dir/' 2>&1; cat '" + g + "/../secret.txt' 2>&1;"
              + " cat /mnt/ro/../secret.txt 2>&1; true");
      assertFalse(escape.contains("host secret"), escape);
      assertFalse(escape.contains("p.txt"), escape);
      // a directory that is not shared is not there
      String priv = run(agent, "sh", "-c", "ls '" + rw.getParent() + "/private' 2>&1; true");
      assertFalse(priv.contains("p.txt"), priv);
    }
  }

  @Test
  void rootlessShareMapsTheUsersIds() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      // the user's host file is the user's in the guest
      assertEquals(userUid + " " + userGid + "\n", run(agent, "stat", "-c", "%u %g", "/mnt/user/mine.txt"));
      assertEquals("user file\n", run(agent, "cat", "/mnt/user/mine.txt"));
      // what the guest writes as the user's uid lands on the host as the user's
      runAs(agent, (int) userUid, (int) userGid, "sh", "-c", "echo hi > /mnt/user/from-guest");
      assertEquals(userUid, ((Number) Files.getAttribute(userShare.resolve("from-guest"), "unix:uid")).longValue());
      assertEquals(userGid, ((Number) Files.getAttribute(userShare.resolve("from-guest"), "unix:gid")).longValue());
      // guest root writes as a subordinate id, never as host root
      run(agent, "sh", "-c", "echo r > /mnt/user/from-root");
      long owner = ((Number) Files.getAttribute(userShare.resolve("from-root"), "unix:uid")).longValue();
      assertTrue(owner >= 100000, "guest root's file belongs to host uid " + owner);
    }
  }

  @Test
  void hiddenDirectoriesAreEmptyAndReadOnly() throws Exception {
    try (GuestAgent agent = vm.connectAgent()) {
      assertHidden(agent, rw + "/linux-data", rw.resolve("linux-data"));
      assertEquals("from the host\n", run(agent, "cat", rw + "/hello.txt"), "the rest of the share");
      assertHidden(agent, "/mnt/user/.local/share/linux", userShare.resolve(".local/share/linux"));
      assertEquals("user file\n", run(agent, "cat", "/mnt/user/mine.txt"), "the rest of the user's share");
      // guest root cannot take the cover off: the tmpfs is in the file server's mount namespace
      run(agent, "sh", "-c", "umount '" + rw + "/linux-data' 2>/dev/null; true");
      assertEquals("", run(agent, "ls", "-A", rw + "/linux-data"));
    }
  }

  /** {@code guest} (the guest's view of {@code host}) is empty and nobody in the guest can write there. */
  private static void assertHidden(GuestAgent agent, String guest, Path host) throws Exception {
    assertEquals("", run(agent, "ls", "-A", guest), guest + " shows the host's content");
    String read = run(agent, "sh", "-c", "cat '" + guest + "/environments/'*/disk.img 2>&1; true");
    assertFalse(read.contains("'s disk"), read);
    String write = run(agent, "sh", "-c",
        "touch '" + guest + "/new' 2>&1; mkdir '" + guest + "/environments' 2>&1; true");
    assertTrue(write.contains("Read-only file system") || write.contains("Permission denied"), write);
    assertFalse(Files.exists(host.resolve("new")), "written through the cover");
    try (var list = Files.list(host)) {
      assertEquals(List.of(host.resolve("environments")), list.toList(), "the host directory is untouched");
    }
  }

  private static String run(GuestAgent agent, String... args) throws Exception {
    return runSpec(agent, ProcessSpec.of(args));
  }

  private static void runAs(GuestAgent agent, int uid, int gid, String... args) throws Exception {
    runSpec(agent, new ProcessSpec(List.of(args), List.of(), "/", uid, gid, List.of(), false, 0, 0));
  }

  private static String runSpec(GuestAgent agent, ProcessSpec spec) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession s = agent.exec(spec, out, err)) {
      s.stdin().close();
      int status = s.waitFor();
      assertEquals(0, status, spec.args() + ": " + err.toString(StandardCharsets.UTF_8));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String host(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return p.exitValue() == 0 ? out : "";
  }
}
