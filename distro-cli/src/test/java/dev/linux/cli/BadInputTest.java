package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.testing.BusyboxImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-input suite (issue 16): every case runs {@code linux} in-process against one data
 * directory holding a good environment and checks the exit status, that the error is one line
 * naming the problem, that nothing under the data directory was created or changed, and that the
 * next good command works. Adding a case is one line in {@link #cases()}.
 */
class BadInputTest {

  static final Path HOME = Path.of(System.getenv("LINUX_HOME"));
  static final Path SCRATCH = HOME.resolveSibling("bad-input-files");
  static final String LONG = "a".repeat(49);

  /** Prepares files a case needs (a tarball, a damaged record, a config file); runs before the "before" listing. */
  interface Setup {
    void prepare() throws IOException;
  }

  record Case(int status, String says, Setup setup, Setup cleanup, String... args) {
    Case given(Setup before, Setup after) {
      return new Case(status, says, before, after, args);
    }

    @Override
    public String toString() {
      return String.join(" ", args).replace("\n", "\\n") + " -> " + status;
    }
  }

  static Case bad(int status, String says, String... args) {
    return new Case(status, says, () -> {}, () -> {}, args);
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // --- names ---
    c.add(bad(2, "invalid environment name 'x\\x0a'", "create", "x\n"));
    c.add(bad(2, "invalid environment name 'a\\x1b[2Jb'", "create", "a\u001b[2Jb"));
    for (String name : List.of("Dev", "dev-", "a_b", "a b", LONG, "../x", ".", "..", "dév", "a/b", "-", "a.b")) {
      c.add(bad(2, "invalid environment name", "create", name));
    }
    c.add(bad(2, "invalid environment name", "create", ""));
    for (String[] cmd : List.of(new String[] {"start"}, new String[] {"stop"}, new String[] {"rm"}, new String[] {"rm", "-f"},
        new String[] {"inspect"}, new String[] {"logs"}, new String[] {"restart"}, new String[] {"set-default"},
        new String[] {"resize", "BAD/NAME", "1G"}, new String[] {"export", "BAD/NAME", "/dev/null"})) {
      List<String> args = new ArrayList<>(List.of(cmd));
      if (!args.contains("BAD/NAME")) {
        args.add("BAD/NAME");
      }
      c.add(bad(2, "invalid environment name", args.toArray(String[]::new)));
    }
    c.add(bad(2, "invalid environment name", "rename", "good", "Bad"));
    c.add(bad(2, "invalid environment name", "clone", "good", "../x"));
    c.add(bad(125, "invalid environment name", "run", "Bad", "--", "true"));
    c.add(bad(125, "invalid environment name", "enter", "Bad"));
    // --- names that do not exist ---
    for (String[] cmd : List.of(new String[] {"start", "nope"}, new String[] {"stop", "nope"}, new String[] {"rm", "nope"},
        new String[] {"rm", "-f", "nope"}, new String[] {"inspect", "nope"}, new String[] {"logs", "nope"},
        new String[] {"set", "nope", "--cpus", "2"}, new String[] {"rename", "nope", "other"},
        new String[] {"clone", "nope", "other"}, new String[] {"resize", "nope", "2G"}, new String[] {"set-default", "nope"},
        new String[] {"export", "nope", "/dev/null"}, new String[] {"restart", "nope"})) {
      c.add(bad(3, "no environment named 'nope'", cmd));
    }
    c.add(bad(4, "already exists", "create", "good"));
    c.add(bad(2, "onto itself", "clone", "good", "good"));
    c.add(bad(2, "already has that name", "rename", "good", "good"));
    // --- sizes and numbers ---
    for (String size : List.of("0", "-1G", "1Q", "10", "abc", "1.5.5G", "99999999999T", "")) {
      c.add(bad(2, "", "create", "x", "--image", "latest", "--disk", size));
    }
    for (String size : List.of("1M", "abc", "-5G", "0")) {
      c.add(bad(2, "", "create", "x", "--image", "latest", "--memory", size));
    }
    for (String cpus : List.of("0", "257", "-1", "x", "99999999999")) {
      c.add(bad(2, "", "create", "x", "--image", "latest", "--cpus", cpus));
    }
    c.add(bad(2, "cannot shrink", "resize", "good", "32M"));
    c.add(bad(2, "", "resize", "good", "abc"));
    c.add(bad(2, "cpus", "set", "good", "--cpus", "0"));
    c.add(bad(2, "memory", "set", "good", "--memory", "1K"));
    c.add(bad(2, "idle-timeout", "set", "good", "--idle-timeout", "-5"));
    c.add(bad(2, "", "set", "good", "--systemd", "ture"));
    c.add(bad(2, "grace period", "stop", "good", "-t", "-5"));
    c.add(bad(2, "grace period", "restart", "good", "-t", "-1"));
    c.add(bad(2, "", "stop", "good", "-t", "abc"));
    c.add(bad(2, "NAME or --all", "stop"));
    // --- usage ---
    c.add(bad(2, "unknown option", "list", "--bogus"));
    c.add(bad(2, "", "create"));
    c.add(bad(2, "", "nosuchcommand"));
    c.add(bad(125, "unknown option", "run", "--bogus", "good", "--", "true"));
    c.add(bad(125, "no command given", "run", "good"));
    c.add(bad(125, "unknown option", "enter", "--bogus"));
    // --- image references ---
    for (String ref : List.of("", "a:b:c:d", "x@sha256:short", "oci:", "ftp://host/x", "has space")) {
      c.add(bad(2, "", "create", "x", "--image", ref));
    }
    c.add(bad(3, "", "create", "x", "--image", "oci:" + SCRATCH.resolve("no-such-dir")));
    c.add(bad(3, "no such file", "create", "x", "--image", "oci-archive:" + SCRATCH.resolve("no-such.tar")));
    c.add(bad(3, "no such file", "create", "x", "--image", "docker-archive:" + SCRATCH.resolve("no-such.tar")));
    c.add(bad(2, "", "create", "x", "--image", "oci:" + SCRATCH.resolve("layout") + ":nosuchtag"));
    c.add(bad(2, "", "image", "load", SCRATCH.resolve("garbage.bin").toString()));
    c.add(bad(2, "", "image", "load", SCRATCH.resolve("empty.tar").toString()));
    c.add(bad(3, "", "image", "rm", "nosuchimage:tag"));
    c.add(bad(3, "", "image", "inspect", "nosuchimage:tag"));
    // --- archives (import) ---
    c.add(bad(3, "no such file", "import", "x", SCRATCH.resolve("missing.tar").toString()));
    c.add(bad(2, "empty", "import", "x", SCRATCH.resolve("empty.tar").toString()));
    c.add(bad(2, "empty", "import", "x", SCRATCH.resolve("zero-blocks.tar").toString()));
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("garbage.bin").toString()));
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("truncated.tar").toString()));
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("traversal.tar").toString()));
    // Not here: an absolute entry (/etc/x) is stored as etc/x, as tar does, and a file behind a
    // symlink entry (etc -> /tmp, then etc/x) is imported today; both stay inside the disk image.
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("hardlink-out.tar").toString()));
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("hardlink-missing.tar").toString()));
    c.add(bad(2, "", "import", "Bad", SCRATCH.resolve("good.tar").toString()));
    c.add(bad(4, "already exists", "import", "good", SCRATCH.resolve("good.tar").toString()));
    c.add(bad(2, "", "import", "x", SCRATCH.resolve("good.tar").toString(), "--disk", "1K"));
    // --- damaged records: listed as broken; booting, changing and copying them is refused ---
    for (String damage : List.of("{not json", "[]", "{\"name\":\"bad\",\"cpus\":\"many\"}", "{\"schemaVersion\":7,\"name\":\"bad\"}", "")) {
      c.add(bad(5, "linux rm bad", "start", "bad").given(() -> damaged(damage), BadInputTest::removeBad));
      c.add(bad(5, "linux rm bad", "set", "bad", "--cpus", "2").given(() -> damaged(damage), BadInputTest::removeBad));
    }
    c.add(bad(4, "linux rm bad", "create", "bad", "--image", "latest").given(() -> damaged(null), BadInputTest::removeBad));
    c.add(bad(5, "linux rm bad", "resize", "bad", "2G").given(() -> damaged("{"), BadInputTest::removeBad));
    c.add(bad(5, "linux rm bad", "rename", "bad", "other").given(() -> damaged("{"), BadInputTest::removeBad));
    c.add(bad(5, "linux rm bad", "clone", "bad", "other").given(() -> damaged("{"), BadInputTest::removeBad));
    c.add(bad(5, "linux rm bad", "export", "bad", SCRATCH.resolve("out.tar").toString()).given(() -> damaged("{"), BadInputTest::removeBad));
    c.add(bad(5, "not an EXT4 image", "start", "bad").given(() -> {
      damaged(null);
      Files.copy(HOME.resolve("environments/good/env.json"), HOME.resolve("environments/bad/env.json"));
      Files.writeString(HOME.resolve("environments/bad/env.json"),
          Files.readString(HOME.resolve("environments/bad/env.json")).replace("\"good\"", "\"bad\""));
      Files.writeString(HOME.resolve("environments/bad/disk.ext4"), "not a disk");
    }, BadInputTest::removeBad));
    // --- linux.conf: every command fails with the file, line and key named ---
    for (String conf : List.of("cpus = abc", "memory = 1K", "idleTimeout = -5", "disk = 0", "nosuchkey = 1",
        "cpus", "cpus = \"2", "defaultEnvironment = Bad", "cpus = 0", "\u0000\u00ff\u00fe binary")) {
      c.add(bad(2, "linux.conf", "list").given(() -> config(conf), BadInputTest::removeConfig));
    }
    c.add(bad(2, "", "config", "set", "cpus", "abc"));
    c.add(bad(2, "", "config", "set", "nosuchkey", "1"));
    c.add(bad(2, "", "config", "get", "nosuchkey"));
    c.add(bad(2, "", "config", "set", "memory", "1K"));
    // --- cp ---
    c.add(bad(2, "", "cp", "a", "b"));
    c.add(bad(2, "", "cp", "good:/a", "good:/b"));
    c.add(bad(3, "", "cp", SCRATCH.resolve("missing").toString(), "good:/tmp/x"));
    return c;
  }

  @BeforeAll
  static void aDataDirectoryWithOneGoodEnvironment() throws IOException {
    FileTrees.delete(HOME);
    FileTrees.delete(SCRATCH);
    Files.createDirectories(SCRATCH);
    // An image loaded with only the tag "latest" resolves as --image latest (issue 16 defect 11).
    BusyboxImage.build(HOME.resolve("images"), "latest");
    BusyboxImage.build(SCRATCH.resolve("layout"), "busybox");
    InProcessCli.Result created = InProcessCli.run("create", "good", "--image", "latest", "--disk", "64M", "-q");
    assertEquals(0, created.status(), created.err());
    writeArchives();
  }

  @TestFactory
  Stream<DynamicTest> everyBadInputIsRefusedInOneLineAndChangesNothing() {
    List<Case> all = cases();
    System.out.println("bad-input suite: " + all.size() + " cases");
    return all.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(Case c) throws IOException {
    c.setup().prepare();
    try {
      Map<String, String> before = listing();
      InProcessCli.Result result = InProcessCli.run(c.args());
      assertEquals(c.status(), result.status(), result.err());
      List<String> lines = result.errLines();
      assertEquals(1, lines.size(), "one line: " + result.err());
      assertTrue(lines.get(0).startsWith("linux: "), result.err());
      assertTrue(lines.get(0).contains(c.says()), "says '" + c.says() + "': " + result.err());
      assertEquals(before, listing(), "nothing created or changed");
    } finally {
      c.cleanup().prepare();
    }
    InProcessCli.Result next = InProcessCli.run("inspect", "good", "--json");
    assertEquals(0, next.status(), next.err());
    assertTrue(next.out().contains("\"state\" : \"created\""), next.out());
  }

  /** Every path under the data directory with its size and modification time. */
  static Map<String, String> listing() throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(HOME)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.getFileName().toString().endsWith(".lock") || p.equals(HOME.resolve("images/ingest"))) {
          continue; // bookkeeping: taking a lock, or opening the image store, is not a change
        }
        all.put(HOME.relativize(p).toString(),
            Files.isDirectory(p) ? "dir" : Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return all;
  }

  static void damaged(String json) throws IOException {
    Path dir = Files.createDirectories(HOME.resolve("environments/bad"));
    Files.copy(HOME.resolve("environments/good/disk.ext4"), dir.resolve("disk.ext4"));
    if (json != null) {
      Files.writeString(dir.resolve("env.json"), json);
    }
  }

  static void removeBad() throws IOException {
    FileTrees.delete(HOME.resolve("environments/bad"));
  }

  static void config(String text) throws IOException {
    Files.createDirectories(HOME.resolve("config"));
    Files.write(HOME.resolve("config/linux.conf"), text.getBytes(StandardCharsets.ISO_8859_1));
  }

  static void removeConfig() throws IOException {
    Files.deleteIfExists(HOME.resolve("config/linux.conf"));
  }

  // --- archives, written by hand so each carries exactly the entry it is about ---

  private static void writeArchives() throws IOException {
    Files.write(SCRATCH.resolve("empty.tar"), new byte[0]);
    Files.write(SCRATCH.resolve("zero-blocks.tar"), new byte[1024]);
    byte[] garbage = new byte[4096];
    new java.util.Random(16).nextBytes(garbage);
    Files.write(SCRATCH.resolve("garbage.bin"), garbage);
    byte[] good = tar(file("bin/hello", "hi\n"), dir("etc/"), file("etc/hostname", "x\n"));
    Files.write(SCRATCH.resolve("good.tar"), good);
    Files.write(SCRATCH.resolve("truncated.tar"), java.util.Arrays.copyOf(good, 700));
    Files.write(SCRATCH.resolve("traversal.tar"), tar(file("etc/ok", "x"), file("../../escaped", "pwned")));
    Files.write(SCRATCH.resolve("absolute.tar"), tar(file("/etc/abs", "x")));
    Files.write(SCRATCH.resolve("symlink-then-file.tar"), tar(link('2', "etc", "/tmp"), file("etc/through-link", "x")));
    Files.write(SCRATCH.resolve("hardlink-out.tar"), tar(file("etc/ok", "x"), link('1', "etc/hard", "../../etc/passwd")));
    Files.write(SCRATCH.resolve("hardlink-missing.tar"), tar(link('1', "etc/hard", "etc/not-there")));
  }

  record Entry(String name, char type, String link, byte[] data) {}

  static Entry file(String name, String text) {
    return new Entry(name, '0', "", text.getBytes(StandardCharsets.UTF_8));
  }

  static Entry dir(String name) {
    return new Entry(name, '5', "", new byte[0]);
  }

  static Entry link(char type, String name, String target) {
    return new Entry(name, type, target, new byte[0]);
  }

  static byte[] tar(Entry... entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Entry e : entries) {
      byte[] h = new byte[512];
      put(h, 0, e.name(), 100);
      put(h, 100, e.type() == '5' ? "0000755" : "0000644", 8);
      put(h, 108, "0000000", 8);
      put(h, 116, "0000000", 8);
      put(h, 124, String.format("%011o", e.data().length), 12);
      put(h, 136, "00000000000", 12);
      java.util.Arrays.fill(h, 148, 156, (byte) ' ');
      h[156] = (byte) e.type();
      put(h, 157, e.link(), 100);
      put(h, 257, "ustar", 6);
      put(h, 263, "00", 2);
      int sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      put(h, 148, String.format("%06o", sum), 7);
      h[154] = 0;
      h[155] = ' ';
      out.writeBytes(h);
      out.writeBytes(e.data());
      out.writeBytes(new byte[(512 - e.data().length % 512) % 512]);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static void put(byte[] header, int at, String text, int max) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(b, 0, header, at, Math.min(b.length, max));
  }
}
