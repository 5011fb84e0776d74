package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interrupted caller of {@link VirtualMachine#stop} gets control back at once, with its interrupt
 * status kept, instead of waiting out the stop's deadline (a minute here).
 */
class VirtualMachineInterruptTest {

  @TempDir Path runDir;
  private Process fakeQemu;

  @AfterEach
  void tearDown() {
    if (fakeQemu != null) {
      fakeQemu.destroyForcibly();
    }
  }

  /**
   * A process that passes for this VM's QEMU (its command line names the agent socket) but never
   * exits on its own: no agent answers and no QMP socket exists, so stop() can only wait.
   */
  private VirtualMachine fakeVm() throws Exception {
    String marker = "path=" + runDir.resolve("agent.sock") + ",";
    fakeQemu = new ProcessBuilder("sh", "-c", "sleep 600; exit 0", marker).start();
    Files.writeString(runDir.resolve("qemu.pid"), fakeQemu.pid() + "\n");
    return VirtualMachine.find(runDir).orElseThrow(() -> new AssertionError("fake QEMU not found"));
  }

  @Test
  void anInterruptEndsStopPromptly() throws Exception {
    VirtualMachine vm = fakeVm();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean interruptKept = new AtomicBoolean();
    Thread caller =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    vm.stop(Duration.ofSeconds(45));
                  } catch (Throwable t) {
                    thrown.set(t);
                  }
                  interruptKept.set(Thread.currentThread().isInterrupted());
                });
    Thread.sleep(300);
    long interrupted = System.nanoTime();
    caller.interrupt();
    caller.join(Duration.ofSeconds(5));
    long tookMillis = (System.nanoTime() - interrupted) / 1_000_000;
    assertFalse(caller.isAlive(), "stop() still waits 5 s after an interrupt");
    assertTrue(tookMillis < 2000, "stop() returned " + tookMillis + " ms after the interrupt");
    assertInstanceOf(VmException.class, thrown.get());
    assertTrue(thrown.get().getMessage().contains("interrupted"), thrown.get().getMessage());
    assertTrue(interruptKept.get(), "the interrupt status is restored");
    assertTrue(fakeQemu.isAlive(), "an interrupted stop kills nothing");
  }
}
