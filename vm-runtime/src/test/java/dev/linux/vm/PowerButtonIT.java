package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGPWR to the guest's PID 1 (as a power button or UPS daemon would send) is a clean shutdown. */
class PowerButtonIT {
  private Path work;
  private VirtualMachine vm;

  @AfterEach
  void cleanUp() throws Exception {
    if (vm != null) {
      vm.stop(Duration.ofSeconds(2));
    }
    if (work != null && System.getProperty("linux.test.keep") == null) {
      KernelProvisioner.deleteTree(work);
    }
  }

  @Test
  void sigpwrToPid1PowersOffCleanly() throws Exception {
    work = Files.createTempDirectory("powerit");
    GuestKernel kernel = TestKernels.distributionKernel();
    Path initrd = new InitramfsBuilder(work.resolve("data"), System.err::println).ensure(kernel);
    Path disk = VmIT.busyboxDisk(work);
    AcceleratorChoice accel = AcceleratorProbe.host().choose();
    VmSpec spec = new VmSpec("powerit", kernel.vmlinuz(), initrd, disk, 1, 256 * VmSpec.MIB,
        accel.accelerator(), work.resolve("run"), work.resolve("console.log"), "powerit", List.of());
    vm = VirtualMachine.start(spec);
    vm.waitUntilReady(Duration.ofSeconds(120));
    try (GuestAgent agent = vm.connectAgent()) {
      // A process writing to the disk when the signal comes (it outlives this connection).
      agent.exec(ProcessSpec.of("sh", "-c", "trap '' HUP; while true; do echo x >> /root/log; sleep 0.1; done"),
          OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
      try (ExecSession kill = agent.exec(ProcessSpec.of("sh", "-c", "sleep 0.5; kill -PWR 1"),
          OutputStream.nullOutputStream(), OutputStream.nullOutputStream())) {
        kill.stdin().close();
        assertEquals(0, kill.waitFor());
      } catch (AgentException e) {
        // the guest may already be going down
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (QemuProcess.isAlive(vm.pid()) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertFalse(QemuProcess.isAlive(vm.pid()), "the guest did not power off; console: " + vm.consoleTail(10));
    assertTrue(String.join("\n", vm.consoleTail(20)).contains("shutting down"), vm.consoleTail(20).toString());
    String header = CpioWriterIT.run(work, "dumpe2fs", "-h", disk.toString());
    assertFalse(header.lines().anyMatch(l -> l.startsWith("Filesystem features:") && l.contains("needs_recovery")), header);
    assertTrue(header.contains("Filesystem state:         clean"), header);
  }
}
