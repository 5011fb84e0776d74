package dev.linux.vm.testing;

import dev.linux.vm.GuestKernel;
import dev.linux.vm.InitramfsBuilder;
import dev.linux.vm.KernelProvisioner;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest kernel for integration tests, provisioned once into a cache shared by test runs
 * ({@code ~/.cache/linux-test}, or the {@code linux.test.cache} system property) so the suite
 * downloads it once; and the initramfs for it, built once per JVM.
 */
public final class TestKernels {
  private static GuestKernel kernel;
  private static Path initramfs;

  private TestKernels() {}

  public static Path cacheDir() {
    String configured = System.getProperty("linux.test.cache");
    return configured != null
        ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".cache", "linux-test");
  }

  public static synchronized GuestKernel distributionKernel() throws Exception {
    if (kernel == null) {
      kernel =
          new KernelProvisioner(cacheDir(), line -> System.err.println("[kernel] " + line))
              .ensureDistributionKernel();
    }
    return kernel;
  }

  /**
   * Our initramfs (the real vminitd and the kernel's modules) for {@link #distributionKernel()},
   * built on first use into a directory of this JVM's (removed when it exits): every VM a test run
   * boots uses the same one.
   */
  public static synchronized Path initramfs() throws Exception {
    if (initramfs == null) {
      Path data = Files.createTempDirectory("linux-test-initramfs");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> TestFiles.deleteQuietly(data)));
      initramfs = new InitramfsBuilder(data, System.err::println).ensure(distributionKernel());
    }
    return initramfs;
  }
}
