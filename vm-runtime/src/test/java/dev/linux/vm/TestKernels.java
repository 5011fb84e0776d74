package dev.linux.vm;

import java.nio.file.Path;

/**
 * The guest kernel for integration tests, provisioned once into a cache shared by test runs
 * ({@code ~/.cache/linux-test}, or the {@code linux.test.cache} system property) so the suite
 * downloads it once.
 */
final class TestKernels {
  private static GuestKernel kernel;

  private TestKernels() {}

  static Path cacheDir() {
    String configured = System.getProperty("linux.test.cache");
    return configured != null
        ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".cache", "linux-test");
  }

  static synchronized GuestKernel distributionKernel() throws Exception {
    if (kernel == null) {
      kernel =
          new KernelProvisioner(cacheDir(), line -> System.err.println("[kernel] " + line))
              .ensureDistributionKernel();
    }
    return kernel;
  }
}
