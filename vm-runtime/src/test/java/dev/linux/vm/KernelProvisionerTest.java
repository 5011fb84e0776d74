package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelProvisionerTest {
  private static final String VERSION = "6.1.0-56-cloud-amd64";
  private static final String PACKAGE = "linux-image-" + VERSION;

  @TempDir Path data;
  private final List<String> progress = new ArrayList<>();

  /** Plays apt-cache, apt-get and dpkg; failures are injected per program. */
  private static final class FakeApt implements CommandRunner {
    final List<List<String>> calls = new ArrayList<>();
    CommandRunner.Result aptCache = new CommandRunner.Result(0, "linux-image-cloud-amd64\n  Depends: " + PACKAGE + "\n", "");
    CommandRunner.Result download = new CommandRunner.Result(0, "Get:1 ...", "W: Download is performed unsandboxed as root");
    CommandRunner.Result unpack = new CommandRunner.Result(0, "", "");
    boolean aptCacheMissing;

    @Override
    public Result run(List<String> command, Path dir) throws IOException {
      calls.add(command);
      switch (command.get(0)) {
        case "apt-cache" -> {
          if (aptCacheMissing) {
            throw new IOException("apt-cache: cannot run: No such file or directory");
          }
          return aptCache;
        }
        case "apt-get" -> {
          if (download.exitCode() == 0) {
            Files.writeString(dir.resolve(command.get(2) + "_6.1.192-2_amd64.deb"), "deb");
          }
          return download;
        }
        case "dpkg" -> {
          if (unpack.exitCode() == 0) {
            Path root = Path.of(command.get(3));
            Files.createDirectories(root.resolve("boot"));
            Files.writeString(root.resolve("boot/vmlinuz-" + VERSION), "kernel");
            Path modules = Files.createDirectories(root.resolve("lib/modules/" + VERSION + "/kernel"));
            Files.writeString(modules.resolve("../modules.builtin"), "");
          }
          return unpack;
        }
        default -> throw new IOException("unexpected " + command);
      }
    }

    List<String> programs() {
      return calls.stream().map(c -> c.get(0) + " " + c.get(1)).toList();
    }
  }

  private KernelProvisioner provisioner(FakeApt apt, String arch) {
    return new KernelProvisioner(data, progress::add, apt, arch);
  }

  @Test
  void downloadsUnpacksAndMovesIntoPlace() throws Exception {
    FakeApt apt = new FakeApt();
    GuestKernel k = provisioner(apt, "amd64").ensureDistributionKernel();
    assertEquals(VERSION, k.version());
    assertEquals(data.resolve("kernels/" + VERSION + "/vmlinuz"), k.vmlinuz());
    assertEquals("kernel", Files.readString(k.vmlinuz()));
    assertTrue(Files.isRegularFile(k.modulesDir().resolve("modules.builtin")));
    assertEquals(
        List.of("apt-cache depends", "apt-get download", "dpkg -x"), apt.programs());
    assertEquals(List.of("apt-cache", "depends", "linux-image-cloud-amd64"), apt.calls.get(0));
    assertEquals(List.of("apt-get", "download", PACKAGE), apt.calls.get(1));
    assertEquals(List.of("downloading guest kernel " + PACKAGE, "guest kernel " + VERSION + " ready"), progress);
    try (var left = Files.list(data.resolve("kernels"))) {
      assertEquals(List.of(VERSION), left.map(p -> p.getFileName().toString()).toList(), "no temp dirs left");
    }
  }

  @Test
  void presentKernelIsReusedWithoutDownloading() throws Exception {
    provisioner(new FakeApt(), "amd64").ensureDistributionKernel();
    FakeApt again = new FakeApt();
    provisioner(again, "amd64").ensureDistributionKernel();
    assertEquals(List.of("apt-cache depends"), again.programs());
  }

  @Test
  void withoutAptThePresentKernelIsUsedWithANotice() throws Exception {
    provisioner(new FakeApt(), "amd64").ensureDistributionKernel();
    progress.clear();
    FakeApt noApt = new FakeApt();
    noApt.aptCacheMissing = true;
    GuestKernel k = provisioner(noApt, "amd64").ensureDistributionKernel();
    assertEquals(VERSION, k.version());
    assertEquals(1, progress.size());
    assertTrue(progress.get(0).startsWith("using guest kernel " + VERSION), progress.get(0));
  }

  @Test
  void withoutAptAndWithoutKernelTheErrorSaysWhatToDo() {
    FakeApt noApt = new FakeApt();
    noApt.aptCacheMissing = true;
    var e = assertThrows(IOException.class, () -> provisioner(noApt, "amd64").ensureDistributionKernel());
    assertTrue(e.getMessage().contains("name one in the configuration"), e.getMessage());
  }

  @Test
  void downloadFailureReportsItsLastLine() {
    FakeApt apt = new FakeApt();
    apt.download = new CommandRunner.Result(100, "", "Reading package lists...\nE: Unable to locate package " + PACKAGE + "\n");
    var e = assertThrows(IOException.class, () -> provisioner(apt, "amd64").ensureDistributionKernel());
    assertEquals("apt-get download " + PACKAGE + ": E: Unable to locate package " + PACKAGE, e.getMessage());
    assertTrue(provisioner(apt, "amd64").installed(VERSION).isEmpty());
  }

  @Test
  void unpackFailureIsReportedAndLeavesNothing() throws Exception {
    FakeApt apt = new FakeApt();
    apt.unpack = new CommandRunner.Result(2, "", "dpkg-deb: error: archive is corrupt\n");
    var e = assertThrows(IOException.class, () -> provisioner(apt, "amd64").ensureDistributionKernel());
    assertTrue(e.getMessage().startsWith("dpkg -x " + PACKAGE), e.getMessage());
    assertTrue(e.getMessage().endsWith("dpkg-deb: error: archive is corrupt"));
    try (var left = Files.list(data.resolve("kernels"))) {
      assertEquals(0, left.count());
    }
  }

  @Test
  void aptCacheWithoutAnImageDependencyFails() {
    FakeApt apt = new FakeApt();
    apt.aptCache = new CommandRunner.Result(0, "linux-image-cloud-amd64\n", "");
    var e = assertThrows(IOException.class, () -> provisioner(apt, "amd64").ensureDistributionKernel());
    assertTrue(e.getMessage().contains("names no linux-image package"), e.getMessage());
  }

  @Test
  void arm64UsesTheArm64Package() throws Exception {
    assertEquals("linux-image-cloud-arm64", provisioner(new FakeApt(), "aarch64").metaPackage());
    assertThrows(IOException.class, () -> provisioner(new FakeApt(), "riscv64").metaPackage());
  }

  @Test
  void configuredKernelIsChecked() throws Exception {
    Path vmlinuz = Files.writeString(data.resolve("vmlinuz"), "k");
    Path modules = Files.createDirectories(data.resolve("6.9.0-test"));
    GuestKernel k = GuestKernel.configured(vmlinuz, modules);
    assertEquals("6.9.0-test", k.version());
    assertThrows(IllegalArgumentException.class, () -> GuestKernel.configured(data.resolve("nope"), modules));
  }
}
