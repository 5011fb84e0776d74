package dev.linux.vm.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * EXT4 disks for VM tests, made with {@code mkfs.ext4 -d} from a directory: Debian's static
 * busybox with applet links, plus whatever a test adds (accounts, a wsl.conf).
 *
 * <pre>{@code
 * Path disk = TestDisks.busybox().applets("nc", "dd").file("etc/wsl.conf", "...").build(work);
 * }</pre>
 */
public final class TestDisks {

  /** The applets every busybox test disk has. */
  public static final List<String> APPLETS = List.of(
      "sh", "cat", "echo", "ls", "sleep", "id", "stty", "grep", "wc", "pwd", "mkdir", "true",
      "false", "env", "head", "tr", "readlink", "date", "uname", "ip", "nc", "dd", "rm", "cut",
      "touch", "kill", "ps", "mount", "sync", "chmod");

  private final Set<String> applets = new LinkedHashSet<>(APPLETS);
  private final List<String> dirs = new ArrayList<>(List.of("bin", "dev", "proc", "sys", "tmp", "run", "etc", "root"));
  private final List<String[]> files = new ArrayList<>();
  private final List<String> debugfs = new ArrayList<>();
  private String size = "64M";
  private Path busyboxBinary = Path.of("/bin/busybox");

  private TestDisks() {}

  /** A busybox disk with {@link #APPLETS}. */
  public static TestDisks busybox() {
    return new TestDisks();
  }

  /** More applet links in /bin. */
  public TestDisks applets(String... more) {
    applets.addAll(List.of(more));
    return this;
  }

  /** Every applet this busybox has ({@code busybox --list}). */
  public TestDisks allApplets() throws Exception {
    for (String applet : TestFiles.run(Path.of("/"), "/bin/busybox", "--list").split("\n")) {
      if (!applet.isBlank() && !applet.strip().equals("busybox")) {
        applets.add(applet.strip());
      }
    }
    return this;
  }

  /** An empty directory (relative to the root). */
  public TestDisks dir(String path) {
    dirs.add(path);
    return this;
  }

  /** A file (relative to the root) with {@code content}. */
  public TestDisks file(String path, String content) {
    files.add(new String[] {path, content});
    return this;
  }

  /** A {@code debugfs -w} request run on the image once made, e.g. to chown a directory. */
  public TestDisks debugfs(String request) {
    debugfs.add(request);
    return this;
  }

  /** Another static busybox than the host's {@code /bin/busybox} (e.g. another architecture's). */
  public TestDisks binary(Path staticBusybox) {
    busyboxBinary = staticBusybox;
    return this;
  }

  public TestDisks size(String mkfsSize) {
    size = mkfsSize;
    return this;
  }

  /** Makes {@code dir/disk.ext4} (owned by root, whoever runs the test) from {@code dir/rootfs}. */
  public Path build(Path dir) throws Exception {
    Path busybox = busyboxBinary;
    if (!Files.isRegularFile(busybox)) {
      throw new AssertionError("VM tests need a static busybox at /bin/busybox: install busybox-static");
    }
    Path root = dir.resolve("rootfs");
    for (String d : dirs) {
      Files.createDirectories(root.resolve(d));
    }
    Files.copy(busybox, root.resolve("bin/busybox"));
    for (String applet : applets) {
      Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    for (String[] f : files) {
      Path file = root.resolve(f[0]);
      Files.createDirectories(file.getParent());
      Files.writeString(file, f[1]);
    }
    Path disk = dir.resolve("disk.ext4");
    TestFiles.run(dir, "mkfs.ext4", "-q", "-F", "-d", root.toString(), "-E", "root_owner=0:0",
        disk.toString(), size);
    for (String request : debugfs) {
      TestFiles.run(dir, "debugfs", "-w", "-R", request, disk.toString());
    }
    return disk;
  }
}
