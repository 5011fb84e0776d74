package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.testing.BootedVm;
import dev.linux.vm.testing.TestDisks;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGPWR to the guest's PID 1 (as a power button or UPS daemon would send) is a clean shutdown. */
class PowerButtonIT {
  private BootedVm booted;

  @AfterEach
  void cleanUp() throws Exception {
    if (booted != null) {
      booted.close();
    }
  }

  @Test
  void sigpwrToPid1PowersOffCleanly() throws Exception {
    booted = BootedVm.named("powerit").cpus(1).memoryMib(256).boot(TestDisks.busybox()::build);
    VirtualMachine vm = booted.vm();
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
    String header = CpioWriterIT.run(booted.work(), "dumpe2fs", "-h", booted.disk().toString());
    assertFalse(header.lines().anyMatch(l -> l.startsWith("Filesystem features:") && l.contains("needs_recovery")), header);
    assertTrue(header.contains("Filesystem state:         clean"), header);
  }
}
