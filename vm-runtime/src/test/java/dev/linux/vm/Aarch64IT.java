package dev.linux.vm;

import dev.linux.vm.testing.TestDisks;
import dev.linux.vm.testing.TestKernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Stream;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * An arm64 guest on this (x86_64) host under TCG: Debian's arm64 cloud kernel from the archive,
 * the cross-built vminitd picked by the initramfs builder, QEMU's {@code virt} machine, and a disk
 * holding Debian's arm64 static busybox (also fetched from the archive). Skipped, with the reason,
 * when {@code qemu-system-aarch64} (Debian package {@code qemu-system-arm}) is not installed.
 */
class Aarch64IT {
  @Test
  void anArm64GuestBootsAndRunsACommand() throws Exception {
    Assumptions.assumeTrue(onPath("qemu-system-aarch64"),
        "qemu-system-aarch64 is not installed (Debian package qemu-system-arm): arm64 guests not tested");
    Path work = Files.createTempDirectory("aarch64it");
    try {
      GuestKernel kernel = new KernelProvisioner(TestKernels.cacheDir(),
          line -> System.err.println("[kernel] " + line), Architecture.AARCH64, Optional.empty())
          .ensureDistributionKernel();
      assertEquals(Architecture.AARCH64, kernel.architecture());
      Path initrd = new InitramfsBuilder(work.resolve("data"), System.err::println).ensure(kernel);
      Path disk = TestDisks.busybox().binary(arm64Busybox()).build(work);
      VmSpec spec = new VmSpec("arm64it", kernel.vmlinuz(), initrd, disk, 2, 512 * VmSpec.MIB,
          Accelerator.TCG, work.resolve("run"), work.resolve("console.log"), "arm64it", List.of(),
          NetworkMode.USER, Architecture.AARCH64);
      long t0 = System.nanoTime();
      VirtualMachine vm = VirtualMachine.start(spec);
      try {
        AgentInfo info = vm.waitUntilReady(Duration.ofSeconds(300));
        System.err.printf("[arm64] agent ready %d ms after start (serving %d ms after kernel start)%n",
            (System.nanoTime() - t0) / 1_000_000, info.readyAfter().toMillis());
        assertEquals(kernel.version(), info.kernelRelease());
        assertTrue(info.environmentReady(), "environment disk mounted");
        try (GuestAgent agent = vm.connectAgent()) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (ExecSession s = agent.exec(ProcessSpec.of("sh", "-c", "uname -m; ip -o -4 addr show eth0; exit 3"),
              out, OutputStream.nullOutputStream())) {
            assertEquals(3, s.waitFor());
          }
          String text = out.toString(StandardCharsets.UTF_8);
          assertTrue(text.startsWith("aarch64\n"), text);
          assertTrue(text.contains("10.0.2.15/24"), text);
        }
      } finally {
        vm.stop(Duration.ofSeconds(10));
      }
      CpioWriterIT.run(work, "e2fsck", "-fn", disk.toString());
    } finally {
      if (System.getProperty("linux.test.keep") == null) {
        KernelProvisioner.deleteTree(work);
      }
    }
  }

  /** Debian's static busybox for arm64, from the host's archive; cached with the test kernels. */
  private static Path arm64Busybox() throws Exception {
    Path cached = TestKernels.cacheDir().resolve("busybox-arm64");
    if (Files.isRegularFile(cached)) {
      return cached;
    }
    Path scratch = Files.createTempDirectory("busybox-arm64");
    try {
      DebianArchive archive = new DebianArchive(ArchiveTransport.standard(System.getenv()),
          (source, file, sig) -> {}, line -> System.err.println("[busybox] " + line));
      DebianArchive.PackageEntry newest = null;
      for (AptSources.Source source : AptSources.read(Path.of("/etc/apt"))) {
        if (!source.components().contains("main")) {
          continue;
        }
        Path dir = Files.createDirectories(scratch.resolve("index-" + Math.abs(source.toString().hashCode())));
        for (DebianArchive.PackageEntry e :
            archive.packages(source, Architecture.AARCH64, "busybox-static"::equals, dir)) {
          if (newest == null || DebianVersion.compare(e.version(), newest.version()) > 0) {
            newest = e;
          }
        }
      }
      assertTrue(newest != null, "no busybox-static for arm64 in the host's archive");
      Path deb = scratch.resolve("busybox.deb");
      archive.download(newest, deb);
      DebPackage.extract(deb, scratch.resolve("root"), "bin/busybox"::equals);
      Files.createDirectories(cached.getParent());
      Files.move(scratch.resolve("root/bin/busybox"), cached, StandardCopyOption.REPLACE_EXISTING);
      return cached;
    } finally {
      KernelProvisioner.deleteTree(scratch);
    }
  }

  private static boolean onPath(String program) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
  }
}
