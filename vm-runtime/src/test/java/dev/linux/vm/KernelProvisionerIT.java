package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.testing.TestDisks;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The guest kernel fetched from the host's own Debian archive (its apt sources) into an empty data
 * directory: indexes and package checksum-verified, unpacked in Java, then booted; and a download
 * corrupted on the way refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelProvisionerIT {
  private Path work;
  private final List<String> progress = new ArrayList<>();
  private GuestKernel kernel;

  @BeforeAll
  void provision() throws Exception {
    work = Files.createTempDirectory("kernelit");
    kernel = new KernelProvisioner(work.resolve("data"), line -> {
      progress.add(line);
      System.err.println("[kernel] " + line);
    }).ensureDistributionKernel();
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (work != null && System.getProperty("linux.test.keep") == null) {
      KernelProvisioner.deleteTree(work);
    }
  }

  @Test
  void downloadsVerifiesAndUnpacksTheCloudKernelFromTheHostsArchive() throws Exception {
    Architecture host = Architecture.host();
    assertTrue(kernel.version().endsWith("-cloud-" + host.debianName()), kernel.version());
    assertTrue(progress.stream().anyMatch(l -> l.startsWith("downloading linux-image-" + kernel.version())), progress.toString());
    assertTrue(progress.contains("guest kernel " + kernel.version() + " ready"));
    assertTrue(Files.size(kernel.vmlinuz()) > 1_000_000);
    assertTrue(Files.isRegularFile(kernel.modulesDir().resolve("modules.builtin")));
    try (var modules = Files.walk(kernel.modulesDir())) {
      List<String> virtio = modules.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("virtio(_blk|_console|_mmio|_net|-rng|_balloon)?\\.ko")).sorted().toList();
      assertEquals(List.of("virtio-rng.ko", "virtio.ko", "virtio_balloon.ko", "virtio_blk.ko", "virtio_console.ko",
          "virtio_mmio.ko", "virtio_net.ko"), virtio);
    }
    try (var left = Files.list(work.resolve("data/kernels"))) {
      assertEquals(List.of(".checked-" + host.debianName(), kernel.version()),
          left.map(p -> p.getFileName().toString()).sorted().toList(), "no staging directories left");
    }
  }

  @Test
  void theProvisionedKernelBoots() throws Exception {
    Path initrd = new InitramfsBuilder(work.resolve("data"), System.err::println).ensure(kernel);
    Path disk = TestDisks.busybox().build(Files.createDirectories(work.resolve("disk")));
    AcceleratorChoice accel = AcceleratorProbe.host().choose();
    VmSpec spec = new VmSpec("kernelit", kernel.vmlinuz(), initrd, disk, 1, 256 * VmSpec.MIB,
        accel.accelerator(), work.resolve("run"), work.resolve("console.log"), "kernelit", List.of())
        .withNetwork(NetworkMode.NONE);
    VirtualMachine vm = VirtualMachine.start(spec);
    try {
      AgentInfo info = vm.waitUntilReady(Duration.ofSeconds(120));
      assertEquals(kernel.version(), info.kernelRelease());
      try (GuestAgent agent = vm.connectAgent()) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ExecSession s = agent.exec(ProcessSpec.of("uname", "-r"), out, java.io.OutputStream.nullOutputStream())) {
          assertEquals(0, s.waitFor());
        }
        assertEquals(kernel.version() + "\n", out.toString(StandardCharsets.UTF_8));
      }
    } finally {
      vm.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void aDownloadCorruptedOnTheWayIsRefused() throws Exception {
    ArchiveTransport real = ArchiveTransport.standard(System.getenv());
    ArchiveTransport flipping = uri -> {
      ArchiveTransport.Download d = real.open(uri);
      if (!uri.getPath().endsWith(".deb")) {
        return d;
      }
      InputStream corrupt = new FilterInputStream(d.body()) {
        long seen;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          if (n > 0 && seen <= 1_000_000 && seen + n > 1_000_000) {
            b[off + (int) (1_000_000 - seen)] ^= 0x01;
          }
          seen += Math.max(n, 0);
          return n;
        }
      };
      return new ArchiveTransport.Download(corrupt, d.length());
    };
    Path data = work.resolve("corrupt");
    KernelProvisioner p = new KernelProvisioner(data, System.err::println, Architecture.host(), Optional.empty(),
        Path.of("/etc/apt"), flipping, (source, file, sig) -> {}, Clock.systemUTC());
    IOException e = assertThrows(IOException.class, p::ensureDistributionKernel);
    assertTrue(e.getMessage().contains(": refusing a corrupted download from http"), e.getMessage());
    try (var left = Files.list(data.resolve("kernels"))) {
      assertEquals(List.of(), left.toList(), "nothing left behind");
    }
  }

}
