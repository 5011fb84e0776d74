package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.testing.TestKernels;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real Debian cloud kernel: provisioned once, then reused without downloading. */
class KernelProvisionerIT {
  @Test
  void provisionsTheDistributionKernelOnceAndReusesIt() throws Exception {
    GuestKernel kernel = TestKernels.distributionKernel();
    assertTrue(kernel.version().endsWith("-cloud-amd64"), kernel.version());
    assertTrue(Files.size(kernel.vmlinuz()) > 1_000_000);
    assertTrue(Files.isRegularFile(kernel.modulesDir().resolve("modules.builtin")));

    List<List<String>> calls = new ArrayList<>();
    CommandRunner system = CommandRunner.system();
    CommandRunner recording =
        (command, dir) -> {
          calls.add(command);
          return system.run(command, dir);
        };
    GuestKernel again =
        new KernelProvisioner(TestKernels.cacheDir(), line -> {}, recording, System.getProperty("os.arch"))
            .ensureDistributionKernel();
    assertEquals(kernel, again);
    assertEquals(List.of("apt-cache"), calls.stream().map(c -> c.get(0)).toList(), "no download");
  }
}
