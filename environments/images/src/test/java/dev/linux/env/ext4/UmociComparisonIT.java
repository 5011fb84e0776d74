package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4WriterIT.assertClean;
import static org.junit.jupiter.api.Assertions.*;

import dev.linux.env.image.Compression;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.Digest;
import dev.linux.env.image.ImageApplier;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.OciLayout;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.Platform;
import dev.linux.env.image.ProgressListener;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares our disk with umoci, the reference implementation of OCI layer semantics: the same
 * image is written by {@link Ext4Writer} (through {@link ImageApplier}) and unpacked by
 * {@code umoci unpack}; our disk is loop-mounted read-only and both trees are compared entry by
 * entry through the kernel (type, permissions, owner, size, content hash, link target, device
 * numbers, xattrs, hard-link groups, nlink, mtime).
 *
 * <p>umoci unpacks into a freshly made ext4 filesystem, so both sides offer the same xattr
 * namespaces and directory semantics. Tolerances, each because the property belongs to the
 * filesystem rather than to the image:
 *
 * <ul>
 *   <li>directory sizes are not compared (they count the blocks a directory happens to use);
 *   <li>{@code /lost+found} on our disk has no counterpart in the image (e2fsck wants it), and
 *       adds one link to the root directory;
 *   <li>the root directory's mtime is not compared: umoci creates {@code rootfs/} itself and
 *       touches it after applying the image.
 * </ul>
 *
 * Everything else, including nanosecond mtimes of directories, must match exactly.
 *
 * <p>Needs root (loop mounts, mknod, chown, security.* xattrs) and fails otherwise: CI runs it as
 * root.
 */
class UmociComparisonIT {
  static final Instant T = Instant.parse("2024-05-06T07:08:09.123456789Z");
  static final String TAG = "cmp";

  @TempDir Path dir;

  @BeforeAll
  static void requireRoot() throws Exception {
    String uid = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim();
    assertEquals("0", uid, "UmociComparisonIT loop-mounts disks and runs 'umoci unpack' as root; run it as root"
        + " (CI does), not as uid " + uid);
    for (String[] tool : new String[][] {{"umoci", "umoci"}, {"getfattr", "attr"}, {"mkfs.ext4", "e2fsprogs"}}) {
      assertTrue(Ext4MountIT.installed(tool[0]), tool[0] + " not found: install the " + tool[1] + " package");
    }
  }

  // ---------------------------------------------------------------- the hand-written image

  @Test
  void handWrittenImageMatchesUmoci() throws Exception {
    Instant later = Instant.parse("2025-01-02T03:04:05.987654321Z");
    Instant y2100 = Instant.parse("2100-03-04T05:06:07.000000001Z");

    Tar l1 = new Tar();
    l1.dir("./", 0755, 0, 0, T);
    l1.dir("etc", 0755, 0, 0, T);
    l1.file("etc/hostname", 0644, 0, 0, T, "base\n".getBytes());
    l1.dir("data", 0755, 0, 0, T.plusNanos(1));
    l1.file("data/link-src", 0644, 1000, 1000, T, "shared by three names".getBytes());
    l1.hardLink("data/link-a", "data/link-src");
    l1.hardLink("data/link-b", "./data/link-src");
    l1.file("data/replaced", 0600, 0, 0, T, "old content".getBytes());
    l1.hardLink("data/replaced-link", "data/replaced");
    l1.dir("opaque", 0750, 0, 0, T);
    l1.file("opaque/a", 0644, 0, 0, T, "a".getBytes());
    l1.dir("opaque/sub", 0755, 0, 0, T);
    l1.file("opaque/sub/b", 0644, 0, 0, T, "b".getBytes());
    l1.dir("becomes-file", 0755, 0, 0, T);
    l1.file("becomes-file/child", 0644, 0, 0, T, "child".getBytes());
    l1.file("becomes-dir", 0644, 0, 0, T, "file".getBytes());
    l1.file("gone", 0644, 0, 0, T, "gone".getBytes());
    l1.dir("gone-dir", 0755, 0, 0, T);
    l1.file("gone-dir/x", 0644, 0, 0, T, "x".getBytes());
    l1.dir("dev", 0755, 0, 0, T);
    l1.special("dev/null", '3', 0666, 1, 3, T);
    l1.special("dev/loop0", '4', 0660, 7, 0, T);
    l1.special("dev/odd", '4', 0600, 259, 300_000, T);
    l1.special("dev/fifo", '6', 0620, 0, 0, T);
    l1.dir("perm", 0755, 0, 0, T);
    l1.file("perm/setuid", 04755, 0, 0, T, "su".getBytes());
    l1.dir("perm/setgid", 02775, 0, 50, T);
    l1.dir("perm/sticky", 01777, 0, 0, T);
    l1.file("perm/all", 07777, 0, 0, T, new byte[0]);
    l1.file("perm/none", 0, 0, 0, T, new byte[0]);
    l1.file("perm/big-uid", 0644, 70_000, 4_294_967_294L, T, "o".getBytes());
    l1.file("perm/max-uid", 0644, 4_294_967_294L, 65_536, T, "o".getBytes());
    Map<String, byte[]> caps = Map.of("security.capability", Ext4XattrTest.capability(),
        "user.comment", "ping needs raw sockets".getBytes());
    l1.entry(new Entry("perm/ping", '0', 0755, 0, 0, T, null, 0, 0, caps, "ping".getBytes()));
    l1.entry(new Entry("perm/acl", '0', 0644, 0, 0, T, null, 0, 0,
        Map.of("system.posix_acl_access", acl(false)), "acl".getBytes()));
    l1.entry(new Entry("perm/acl-dir", '5', 0755, 0, 0, T, null, 0, 0,
        Map.of("system.posix_acl_default", acl(true), "user.many", "v".repeat(3000).getBytes()), new byte[0]));
    l1.dir("names", 0755, 0, 0, T);
    l1.file("names/" + "n".repeat(255), 0644, 0, 0, T, "long".getBytes());
    l1.file("names/héllo wörld 日本語 😀", 0644, 0, 0, T, "unicode".getBytes());
    l1.file("names/" + "日".repeat(85), 0644, 0, 0, T, "255 bytes of unicode".getBytes());
    l1.symlink("names/short-link", "../etc/hostname", T);
    l1.symlink("names/long-link", "/" + "long-target-component/".repeat(12) + "end", T);
    l1.symlink("names/dangling", "does/not/exist", later);
    l1.dir("sparse", 0755, 0, 0, T);
    l1.file("sparse/holes", 0644, 0, 0, T, sparse(8 << 20, 0, 3 << 20, (8 << 20) - 5));
    l1.file("sparse/zeros", 0644, 0, 0, T, new byte[1 << 20]);
    l1.file("sparse/unaligned", 0644, 0, 0, T, sparse(12_345, 4096, 12_344));
    l1.file("y2100", 0644, 0, 0, y2100, "future".getBytes());
    l1.dir("huge", 0755, 0, 0, T);
    for (int i = 0; i < 20_000; i++) {
      l1.file("huge/entry-" + i, 0644, 0, 0, T, i % 1000 == 0 ? ("#" + i).getBytes() : new byte[0]);
    }

    Tar l2 = new Tar();
    l2.whiteout("gone");
    l2.whiteout("gone-dir");
    l2.dir("opaque", 0755, 0, 0, later);
    l2.opaque("opaque");
    l2.file("opaque/new", 0644, 0, 0, later, "new".getBytes());
    l2.file("becomes-file", 0600, 0, 0, later, "now a file".getBytes());
    l2.dir("becomes-dir", 0700, 0, 0, later);
    l2.file("becomes-dir/inside", 0644, 0, 0, later, "inside".getBytes());
    l2.file("data/replaced", 0640, 0, 0, later, "new content".getBytes());
    l2.hardLink("data/cross-layer", "data/link-src");
    l2.dir("etc", 0700, 0, 0, later);
    l2.whiteout("huge/entry-7");
    l2.file("huge/entry-20000", 0644, 0, 0, later, new byte[0]);

    Tar l3 = new Tar();
    l3.whiteout("data/link-a");
    l3.hardLink("data/new-name-of-replaced", "data/replaced");
    l3.entry(new Entry("perm/ping", '0', 04755, 0, 0, later, null, 0, 0,
        Map.of("security.capability", Ext4XattrTest.capability()), "ping v2".getBytes()));

    compare(List.of(l1, l2, l3));
  }

  /** A POSIX ACL in the kernel's xattr format: owner rw(x), user 1000 r(x), group r, mask r, other r. */
  static byte[] acl(boolean directory) {
    int x = directory ? 1 : 0;
    ByteBuffer b = ByteBuffer.allocate(4 + 5 * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(2);
    b.putShort((short) 0x01).putShort((short) (6 | x)).putInt(-1);
    b.putShort((short) 0x02).putShort((short) (4 | x)).putInt(1000);
    b.putShort((short) 0x04).putShort((short) (4 | x)).putInt(-1);
    b.putShort((short) 0x10).putShort((short) (4 | x)).putInt(-1);
    b.putShort((short) 0x20).putShort((short) (4 | x)).putInt(-1);
    return b.array();
  }

  static byte[] sparse(int size, int... marks) {
    byte[] content = new byte[size];
    for (int m : marks) {
      content[m] = (byte) (m | 1);
    }
    return content;
  }

  // ---------------------------------------------------------------- generated trees

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 20240506})
  void randomTreesMatchUmoci(long seed) throws Exception {
    compare(new RandomImage(new Random(seed)).layers(3));
  }

  /**
   * Generates layers from a model of the tree: the first layer builds a tree, later ones replace,
   * remove (whiteouts), empty (opaque whiteouts), hard-link to lower files and swap files and
   * directories.
   */
  static final class RandomImage {
    private final Random random;
    private final TreeSet<String> dirs = new TreeSet<>();
    private final TreeSet<String> files = new TreeSet<>();
    private int counter;

    RandomImage(Random random) {
      this.random = random;
    }

    List<Tar> layers(int count) {
      List<Tar> layers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        layers.add(i == 0 ? first() : upper());
      }
      return layers;
    }

    private Tar first() {
      Tar tar = new Tar();
      populate(tar, "", 0);
      return tar;
    }

    private void populate(Tar tar, String dir, int depth) {
      int entries = depth == 0 ? 6 + random.nextInt(10) : 1 + random.nextInt(8);
      for (int i = 0; i < entries; i++) {
        String path = (dir.isEmpty() ? "" : dir + "/") + name();
        int kind = random.nextInt(10);
        if (kind < 3 && depth < 4) {
          tar.dir(path, randomMode(true), owner(), owner(), time());
          dirs.add(path);
          populate(tar, path, depth + 1);
        } else {
          addLeaf(tar, path, Set.of());
        }
      }
    }

    private void addLeaf(Tar tar, String path, Set<String> forbidden) {
      int kind = random.nextInt(12);
      List<String> linkable = files.stream().filter(f -> !forbidden.contains(f)).toList();
      if (kind < 6) {
        tar.file(path, randomMode(false), owner(), owner(), time(), content());
      } else if (kind < 8) {
        String target = random.nextBoolean() ? "t" + random.nextInt(100)
            : "/" + "x".repeat(40 + random.nextInt(200));
        tar.symlink(path, target, time());
      } else if (kind == 8) {
        tar.special(path, '6', randomMode(false), 0, 0, time());
      } else if (kind == 9) {
        tar.special(path, random.nextBoolean() ? '3' : '4', randomMode(false), random.nextInt(300),
            random.nextInt(70_000), time());
      } else if (!linkable.isEmpty()) {
        tar.hardLink(path, linkable.get(random.nextInt(linkable.size())));
      } else {
        tar.file(path, randomMode(false), owner(), owner(), time(), content());
      }
      files.add(path);
    }

    private Tar upper() {
      Tar tar = new Tar();
      Set<String> touched = new HashSet<>();
      int ops = 5 + random.nextInt(15);
      for (int i = 0; i < ops; i++) {
        int op = random.nextInt(7);
        // an entry touched once per layer: what a layer says twice about one path is ambiguous
        List<String> fileList = files.stream().filter(f -> !anyUnder(f, touched)).toList();
        List<String> dirList = dirs.stream().filter(d -> !anyUnder(d, touched)).toList();
        if (op == 0 && !fileList.isEmpty()) { // whiteout a file
          String victim = pick(fileList);
          tar.whiteout(victim);
          files.remove(victim);
          touched.add(victim);
        } else if (op == 1 && !dirList.isEmpty()) { // whiteout a directory
          String victim = pick(dirList);
          tar.whiteout(victim);
          removeTree(victim);
          touched.add(victim);
        } else if (op == 2 && !dirList.isEmpty()) { // opaque directory with a new child
          String d = pick(dirList);
          tar.dir(d, randomMode(true), owner(), owner(), time());
          tar.opaque(d);
          removeChildren(d);
          touched.add(d);
          addLeaf(tar, d + "/" + name(), touched);
        } else if (op == 3 && !fileList.isEmpty()) { // replace a file by a file or a directory
          String victim = pick(fileList);
          files.remove(victim);
          touched.add(victim);
          if (random.nextBoolean()) {
            tar.file(victim, randomMode(false), owner(), owner(), time(), content());
            files.add(victim);
          } else {
            tar.dir(victim, randomMode(true), owner(), owner(), time());
            dirs.add(victim);
            addLeaf(tar, victim + "/" + name(), touched);
          }
        } else if (op == 4 && !dirList.isEmpty()) { // replace a directory by a file
          String victim = pick(dirList);
          removeTree(victim);
          touched.add(victim);
          tar.file(victim, randomMode(false), owner(), owner(), time(), content());
          files.add(victim);
        } else if (op == 5) { // new entries, hard links to lower files among them
          String parent = dirList.isEmpty() || random.nextInt(4) == 0 ? "" : pick(dirList);
          String path = (parent.isEmpty() ? "" : parent + "/") + name();
          touched.add(path);
          addLeaf(tar, path, touched);
        } else if (op == 6 && !dirList.isEmpty()) { // change a directory's metadata only
          String d = pick(dirList);
          tar.dir(d, randomMode(true), owner(), owner(), time());
          touched.add(d);
        }
      }
      return tar;
    }

    private static boolean anyUnder(String dir, Set<String> paths) {
      for (String p : paths) {
        if (p.equals(dir) || p.startsWith(dir + "/") || dir.startsWith(p + "/")) {
          return true;
        }
      }
      return false;
    }

    private void removeTree(String victim) {
      dirs.remove(victim);
      removeChildren(victim);
    }

    private void removeChildren(String d) {
      dirs.removeIf(p -> p.startsWith(d + "/"));
      files.removeIf(p -> p.startsWith(d + "/"));
    }

    private String pick(List<String> list) {
      return list.get(random.nextInt(list.size()));
    }

    private String name() {
      int style = random.nextInt(10);
      String base = switch (style) {
        case 0 -> "ü-" + "ñ".repeat(random.nextInt(100));
        case 1 -> "L".repeat(200 + random.nextInt(40));
        case 2 -> "with space";
        default -> "n";
      };
      return base + "-" + counter++;
    }

    private int randomMode(boolean directory) {
      int[] modes = directory ? new int[] {0755, 0700, 01777, 02775, 0555}
          : new int[] {0644, 0600, 0755, 04755, 02711, 0444, 0};
      return modes[random.nextInt(modes.length)];
    }

    private long owner() {
      return switch (random.nextInt(6)) {
        case 0 -> 1000;
        case 1 -> 65_534;
        case 2 -> 100_000 + random.nextInt(1_000_000);
        case 3 -> 4_294_967_294L;
        default -> 0;
      };
    }

    private Instant time() {
      return Instant.ofEpochSecond(1_000_000_000L + random.nextInt(1_000_000_000), random.nextInt(1_000_000_000));
    }

    private byte[] content() {
      int size = switch (random.nextInt(5)) {
        case 0 -> 0;
        case 1 -> random.nextInt(100);
        case 2 -> random.nextInt(10_000);
        case 3 -> 4096 * (1 + random.nextInt(40));
        default -> random.nextInt(300_000);
      };
      byte[] content = new byte[size];
      if (random.nextBoolean()) {
        random.nextBytes(content);
      } else { // mostly zeros: holes on our side
        for (int i = 0; i < size; i += 1 + random.nextInt(20_000)) {
          content[i] = (byte) (1 + random.nextInt(255));
        }
      }
      return content;
    }
  }

  // ---------------------------------------------------------------- comparison

  void compare(List<Tar> layers) throws Exception {
    Path layout = dir.resolve("layout");
    OciLayoutWriter writer = OciLayoutWriter.open(layout);
    List<Descriptor> blobs = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (Tar layer : layers) {
      Path tar = dir.resolve("layer.tar");
      layer.writeTo(tar);
      try (InputStream in = Files.newInputStream(tar)) {
        OciLayoutWriter.LayerBlob blob = writer.addLayer(in, Compression.GZIP);
        blobs.add(blob.descriptor());
        diffIds.add(blob.diffId());
      }
      Files.delete(tar);
    }
    Platform platform = Platform.host();
    if (System.getenv("UMOCI_IT_KEEP") != null) { // debugging: keep each image's layers for a look with tar -tv
      Path keep = Path.of(System.getenv("UMOCI_IT_KEEP")).resolve(Long.toString(System.nanoTime()));
      Files.createDirectories(keep);
      for (int i = 0; i < layers.size(); i++) {
        layers.get(i).writeTo(keep.resolve("layer" + i + ".tar"));
      }
    }
    Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), diffIds);
    writer.tag(writer.writeManifest(config, blobs), TAG, platform);

    Path ours = dir.resolve("ours.img");
    try (Ext4Writer ext4 = Ext4Writer.create(ours, Ext4Options.ofSize(1L << 30))) {
      ImageApplier.apply(OciLayout.open(layout).image(TAG), ext4, ProgressListener.NONE);
    }
    assertClean(ours);

    Path referenceImage = dir.resolve("reference.img");
    sh("truncate", "-s", "2G", referenceImage.toString());
    sh("mkfs.ext4", "-q", "-F", referenceImage.toString());
    Path oursMount = dir.resolve("ours");
    Path referenceMount = dir.resolve("reference");
    Files.createDirectories(oursMount);
    Files.createDirectories(referenceMount);
    sh("mount", "-o", "loop,ro", ours.toString(), oursMount.toString());
    try {
      sh("mount", "-o", "loop", referenceImage.toString(), referenceMount.toString());
      try {
        Path bundle = referenceMount.resolve("bundle");
        sh("umoci", "unpack", "--image", layout + ":" + TAG, bundle.toString());
        Map<String, Stat> expected = scan(bundle.resolve("rootfs"));
        Map<String, Stat> actual = scan(oursMount);
        List<String> differences = differences(expected, actual);
        assertTrue(differences.isEmpty(), differences.size() + " differences between umoci (expected) and our disk"
            + " (actual):\n" + differences.stream().limit(60).collect(Collectors.joining("\n")));
        assertTrue(expected.size() > 10, "the image unpacked to almost nothing: " + expected.keySet());
      } finally {
        sh("umount", referenceMount.toString());
      }
    } finally {
      sh("umount", oursMount.toString());
    }
    assertClean(ours);
  }

  static List<String> differences(Map<String, Stat> expected, Map<String, Stat> actual) {
    List<String> out = new ArrayList<>();
    Map<String, Stat> ours = new TreeMap<>(actual);
    boolean lostFound = !expected.containsKey("lost+found") && ours.containsKey("lost+found");
    if (lostFound) {
      ours.keySet().removeIf(p -> p.equals("lost+found") || p.startsWith("lost+found/"));
    }
    Set<String> all = new TreeSet<>(expected.keySet());
    all.addAll(ours.keySet());
    for (String path : all) {
      Stat e = expected.get(path);
      Stat a = ours.get(path);
      String shown = "/" + path;
      if (e == null) {
        out.add(shown + ": only on our disk (" + a + ")");
        continue;
      }
      if (a == null) {
        out.add(shown + ": missing on our disk (umoci: " + e + ")");
        continue;
      }
      check(out, shown, "type", e.type, a.type);
      check(out, shown, "mode", e.mode, a.mode);
      check(out, shown, "uid", e.uid, a.uid);
      check(out, shown, "gid", e.gid, a.gid);
      if (!e.type.equals("d")) {
        check(out, shown, "size", e.size, a.size);
      }
      check(out, shown, "nlink", e.nlink + (path.isEmpty() && lostFound ? 1 : 0), a.nlink);
      check(out, shown, "sha256", e.sha256, a.sha256);
      check(out, shown, "link target", e.target, a.target);
      check(out, shown, "device", e.device, a.device);
      check(out, shown, "xattrs", e.xattrs, a.xattrs);
      if (!path.isEmpty()) {
        check(out, shown, "mtime", e.mtime, a.mtime);
      }
    }
    Set<Set<String>> expectedGroups = linkGroups(expected);
    Set<Set<String>> actualGroups = linkGroups(ours);
    for (Set<String> g : expectedGroups) {
      if (!actualGroups.contains(g)) {
        out.add("hard-link group " + g + " (umoci) is not one inode on our disk");
      }
    }
    for (Set<String> g : actualGroups) {
      if (!expectedGroups.contains(g)) {
        out.add("hard-link group " + g + " on our disk is not one inode in umoci's tree");
      }
    }
    return out;
  }

  private static void check(List<String> out, String path, String what, Object expected, Object actual) {
    if (!java.util.Objects.equals(expected, actual)) {
      out.add(path + ": " + what + " differs: umoci " + expected + ", ours " + actual);
    }
  }

  /** Inode equality classes of non-directories with more than one name. */
  static Set<Set<String>> linkGroups(Map<String, Stat> tree) {
    Map<Long, Set<String>> byInode = new HashMap<>();
    tree.forEach((path, s) -> {
      if (!s.type.equals("d")) {
        byInode.computeIfAbsent(s.ino, k -> new TreeSet<>()).add(path);
      }
    });
    return byInode.values().stream().filter(g -> g.size() > 1).collect(Collectors.toSet());
  }

  /** What is compared of one entry. */
  record Stat(String type, String mode, long uid, long gid, long size, long ino, long nlink, BigDecimal mtime,
      String target, String device, String sha256, Map<String, String> xattrs) {
    @Override
    public String toString() {
      return type + " " + mode + " " + uid + ":" + gid + " size " + size + " nlink " + nlink + " mtime " + mtime
          + (target.isEmpty() ? "" : " -> " + target) + (device.isEmpty() ? "" : " dev " + device)
          + (xattrs.isEmpty() ? "" : " xattrs " + xattrs.keySet());
    }
  }

  /**
   * Reads a mounted tree through the kernel with find, stat, sha256sum and getfattr (names
   * handled as NUL-separated bytes, so any name survives whatever the JVM's file name encoding).
   */
  static Map<String, Stat> scan(Path root) throws Exception {
    List<String> fields = split(run(root, "find", ".", "-printf", "%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%i\\0%n\\0%T@\\0%l\\0"));
    Map<String, String> devices = new HashMap<>();
    List<String> dev = split(run(root, "find", ".", "(", "-type", "c", "-o", "-type", "b", ")", "-exec",
        "stat", "--printf", "%n\\0%t:%T\\0", "{}", "+"));
    for (int i = 0; i + 1 < dev.size(); i += 2) {
      devices.put(dev.get(i).substring(2), dev.get(i + 1));
    }
    Map<String, String> hashes = new HashMap<>();
    for (String line : split(run(root, "find", ".", "-type", "f", "-exec", "sha256sum", "-z", "{}", "+"))) {
      hashes.put(line.substring(66 + 2), line.substring(0, 64));
    }
    Map<String, Map<String, String>> xattrs = xattrs(root);
    Map<String, Stat> out = new TreeMap<>();
    for (int i = 0; i + 9 < fields.size(); i += 10) {
      String path = fields.get(i);
      String type = fields.get(i + 1);
      out.put(path, new Stat(type, fields.get(i + 2), Long.parseLong(fields.get(i + 3)),
          Long.parseLong(fields.get(i + 4)), Long.parseLong(fields.get(i + 5)), Long.parseLong(fields.get(i + 6)),
          Long.parseLong(fields.get(i + 7)), new BigDecimal(fields.get(i + 8)).stripTrailingZeros(),
          fields.get(i + 9), devices.getOrDefault(path, ""), hashes.getOrDefault(path, ""),
          xattrs.getOrDefault(path, Map.of())));
    }
    return out;
  }

  /** getfattr's dump of every attribute in every namespace, by path relative to the root. */
  static Map<String, Map<String, String>> xattrs(Path root) throws Exception {
    byte[] dump = run(root, "getfattr", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", ".");
    Map<String, Map<String, String>> out = new HashMap<>();
    Map<String, String> current = null;
    for (String line : new String(dump, StandardCharsets.ISO_8859_1).split("\n")) {
      if (line.startsWith("# file: ")) {
        String name = unescape(line.substring("# file: ".length()));
        name = name.equals(".") ? "" : name.substring(2);
        current = new TreeMap<>();
        out.put(name, current);
      } else if (!line.isEmpty() && current != null) {
        int eq = line.indexOf('=');
        current.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return out;
  }

  /** Undoes getfattr's octal escapes (it escapes bytes it cannot print) and decodes UTF-8. */
  static String unescape(String latin1) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < latin1.length(); i++) {
      char c = latin1.charAt(i);
      if (c == '\\' && i + 3 < latin1.length() && Character.isDigit(latin1.charAt(i + 1))) {
        bytes.write(Integer.parseInt(latin1.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  static List<String> split(byte[] nulSeparated) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < nulSeparated.length; i++) {
      if (nulSeparated[i] == 0) {
        out.add(new String(nulSeparated, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return out;
  }

  static byte[] run(Path cwd, String... command) throws Exception {
    Path err = Files.createTempFile("cmp-", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectError(err.toFile()).start();
      byte[] out = p.getInputStream().readAllBytes();
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
      assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + Files.readString(err));
      return out;
    } finally {
      Files.delete(err);
    }
  }

  static void sh(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
  }

  // ---------------------------------------------------------------- a tar writer with PAX records

  /** One tar entry; type is the ustar type flag. */
  record Entry(String path, char type, int mode, long uid, long gid, Instant mtime, String link, int major,
      int minor, Map<String, byte[]> xattrs, byte[] content) {}

  /**
   * A layer written as POSIX pax: every entry gets an extended header carrying its path, link
   * target, owner, nanosecond mtime and {@code SCHILY.xattr.*} records, so nothing depends on
   * ustar field limits.
   */
  static final class Tar {
    final List<Entry> entries = new ArrayList<>();

    void entry(Entry e) {
      entries.add(e);
    }

    void dir(String path, int mode, long uid, long gid, Instant mtime) {
      entry(new Entry(path, '5', mode, uid, gid, mtime, null, 0, 0, Map.of(), new byte[0]));
    }

    void file(String path, int mode, long uid, long gid, Instant mtime, byte[] content) {
      entry(new Entry(path, '0', mode, uid, gid, mtime, null, 0, 0, Map.of(), content));
    }

    void symlink(String path, String target, Instant mtime) {
      entry(new Entry(path, '2', 0777, 0, 0, mtime, target, 0, 0, Map.of(), new byte[0]));
    }

    void hardLink(String path, String target) {
      entry(new Entry(path, '1', 0644, 0, 0, T, target, 0, 0, Map.of(), new byte[0]));
    }

    void special(String path, char type, int mode, int major, int minor, Instant mtime) {
      entry(new Entry(path, type, mode, 0, 0, mtime, null, major, minor, Map.of(), new byte[0]));
    }

    void whiteout(String path) {
      int slash = path.lastIndexOf('/');
      file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), 0, 0, 0, T, new byte[0]);
    }

    void opaque(String dir) {
      file(dir + "/.wh..wh..opq", 0, 0, 0, T, new byte[0]);
    }

    void writeTo(Path file) throws IOException {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        for (Entry e : entries) {
          write(out, e);
        }
        out.write(new byte[1024]);
      }
    }

    private static void write(OutputStream out, Entry e) throws IOException {
      Map<String, byte[]> pax = new LinkedHashMap<>();
      pax.put("path", e.path.getBytes(StandardCharsets.UTF_8));
      if (e.link != null) {
        pax.put("linkpath", e.link.getBytes(StandardCharsets.UTF_8));
      }
      pax.put("uid", Long.toString(e.uid).getBytes());
      pax.put("gid", Long.toString(e.gid).getBytes());
      pax.put("mtime", (e.mtime.getEpochSecond() + "." + String.format("%09d", e.mtime.getNano())).getBytes());
      e.xattrs.forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
      ByteArrayOutputStream records = new ByteArrayOutputStream();
      for (Map.Entry<String, byte[]> r : pax.entrySet()) {
        byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
        int body = 1 + key.length + 1 + r.getValue().length + 1;
        int length = body + Integer.toString(body).length();
        if (Integer.toString(length).length() != Integer.toString(body).length()) {
          length++;
        }
        records.write((length + " ").getBytes());
        records.write(key);
        records.write('=');
        records.write(r.getValue());
        records.write('\n');
      }
      byte[] paxBody = records.toByteArray();
      out.write(header("PaxHeaders/entry", 'x', 0644, 0, 0, 0, paxBody.length, "", 0, 0));
      out.write(paxBody);
      pad(out, paxBody.length);
      long size = e.type == '0' ? e.content.length : 0;
      out.write(header(ascii(e.path, 100), e.type, e.mode, Math.min(e.uid, 07777777), Math.min(e.gid, 07777777),
          Math.max(0, Math.min(e.mtime.getEpochSecond(), 077777777777L)), size,
          e.link == null ? "" : ascii(e.link, 100), e.major, e.minor));
      if (size > 0) {
        out.write(e.content);
        pad(out, size);
      }
    }

    private static String ascii(String s, int max) {
      String a = s.replaceAll("[^\\x20-\\x7e]", "_");
      return a.length() > max ? a.substring(0, max) : a;
    }

    private static void pad(OutputStream out, long size) throws IOException {
      int rest = (int) (size % 512);
      if (rest != 0) {
        out.write(new byte[512 - rest]);
      }
    }

    private static byte[] header(String name, char type, int mode, long uid, long gid, long mtime, long size,
        String link, int major, int minor) {
      byte[] h = new byte[512];
      put(h, 0, 100, name.getBytes(StandardCharsets.US_ASCII));
      octal(h, 100, 8, mode);
      octal(h, 108, 8, uid);
      octal(h, 116, 8, gid);
      octal(h, 124, 12, size);
      octal(h, 136, 12, mtime);
      h[156] = (byte) type;
      put(h, 157, 100, link.getBytes(StandardCharsets.US_ASCII));
      put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
      put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
      octal(h, 329, 8, major);
      octal(h, 337, 8, minor);
      java.util.Arrays.fill(h, 148, 156, (byte) ' ');
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xFF;
      }
      put(h, 148, 8, String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII));
      return h;
    }

    private static void put(byte[] h, int offset, int length, byte[] value) {
      System.arraycopy(value, 0, h, offset, Math.min(length, value.length));
    }

    private static void octal(byte[] h, int offset, int length, long value) {
      String s = String.format("%0" + (length - 1) + "o", value);
      put(h, offset, length - 1, s.getBytes(StandardCharsets.US_ASCII));
    }
  }
}
