package dev.linux.vm;

import dev.linux.vm.testing.BootedVm;
import dev.linux.vm.testing.GuestAgentContract;
import dev.linux.vm.testing.TestDisks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The guest-agent contract over the direct connection (vm-runtime's gRPC client) to a booted VM. */
class DirectGuestAgentContractIT extends GuestAgentContract {

  private static BootedVm booted;

  @BeforeAll
  static void boot() throws Exception {
    booted = BootedVm.named("contract").boot(TestDisks.busybox()
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .file("etc/group", "root:x:0:\n")::build);
  }

  @AfterAll
  static void stop() throws Exception {
    if (booted != null) {
      booted.close();
    }
  }

  @Override
  protected GuestAgent connect() throws Exception {
    return booted.connectAgent();
  }
}
