package dev.linux.cli;

import dev.linux.env.testing.BusyboxImage;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.KernelProvisioner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * What the CLI integration tests share across runs: the guest kernel (downloaded once into a
 * world-readable cache, so a non-root test user can boot it too) and a busybox test image.
 */
final class TestResources {

  static final String BUSYBOX_TAG = "busybox";

  private TestResources() {}

  /** A world-readable cache directory for this user's test runs. */
  static Path cacheDir() throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "linux-test-cache-" + System.getProperty("user.name"));
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** The distribution's cloud kernel as a directory holding {@code vmlinuz} and {@code modules/}. */
  static synchronized Path kernelDir() throws IOException, InterruptedException {
    Path data = cacheDir().resolve("data");
    GuestKernel kernel = new KernelProvisioner(data, line -> System.err.println("kernel: " + line)).ensureDistributionKernel();
    makeReadable(data);
    return kernel.vmlinuz().getParent();
  }

  /** Builds the busybox OCI layout (tag {@value #BUSYBOX_TAG}) into {@code dir}. */
  static Path busyboxLayout(Path dir) throws IOException {
    BusyboxImage.build(dir, BUSYBOX_TAG);
    return dir;
  }

  static void makeReadable(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        var perms = Files.getPosixFilePermissions(p);
        perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_READ);
        if (Files.isDirectory(p)) {
          perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
          perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE);
        }
        Files.setPosixFilePermissions(p, perms);
      }
    }
  }

  /** Runs a host command, returning its exit status and combined output. */
  static CliProcess.Result host(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    return new CliProcess.Result(p.waitFor(), out, "");
  }
}
