package dev.linux.vm.testing;

import dev.linux.vm.AcceleratorChoice;
import dev.linux.vm.AcceleratorProbe;
import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.NetworkMode;
import dev.linux.vm.VirtiofsMount;
import dev.linux.vm.VirtualMachine;
import dev.linux.vm.VmException;
import dev.linux.vm.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real VM booted for a test: the Debian cloud kernel ({@link TestKernels}), our initramfs with
 * the real vminitd, and a disk the test makes (usually with {@link TestDisks}), in a temporary
 * work directory. {@link #close()} stops the VM if it still runs and removes the directory (kept
 * with {@code -Dlinux.test.keep}). {@code -Dlinux.test.kernelArgs="loglevel=7 linux.debug=1"}
 * shows the boot in the console log.
 *
 * <pre>{@code
 * try (BootedVm booted = BootedVm.named("demo").boot(TestDisks.busybox()::build)) {
 *   try (GuestAgent agent = booted.connectAgent()) { ... }
 * }
 * }</pre>
 */
public final class BootedVm implements AutoCloseable {

  /** Makes the VM's disk in the work directory. */
  @FunctionalInterface
  public interface DiskMaker {
    Path make(Path work) throws Exception;
  }

  private final Path work;
  private final VmSpec spec;
  private final VirtualMachine vm;
  private final AgentInfo readyInfo;
  private final Duration bootTime;
  private final boolean ownsWork;

  private BootedVm(Path work, boolean ownsWork, VmSpec spec, VirtualMachine vm, AgentInfo readyInfo,
      Duration bootTime) {
    this.work = work;
    this.ownsWork = ownsWork;
    this.spec = spec;
    this.vm = vm;
    this.readyInfo = readyInfo;
    this.bootTime = bootTime;
  }

  /** Settings for a VM named {@code name} (also its hostname): 2 CPUs, 512 MiB, user network. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /** How to boot; {@link #boot} does it. */
  public static final class Builder {
    private final String name;
    private int cpus = 2;
    private long memoryMib = 512;
    private final List<String> kernelArgs = new ArrayList<>();
    private NetworkMode network = NetworkMode.USER;
    private List<VirtiofsMount> shares = List.of();
    private Duration readyTimeout = Duration.ofSeconds(120);
    private Path work;

    private Builder(String name) {
      this.name = name;
      String extra = System.getProperty("linux.test.kernelArgs", "").strip();
      if (!extra.isEmpty()) {
        kernelArgs.addAll(List.of(extra.split("\\s+")));
      }
    }

    public Builder cpus(int n) {
      cpus = n;
      return this;
    }

    public Builder memoryMib(long mib) {
      memoryMib = mib;
      return this;
    }

    public Builder kernelArg(String arg) {
      kernelArgs.add(arg);
      return this;
    }

    public Builder network(NetworkMode mode) {
      network = mode;
      return this;
    }

    public Builder shares(List<VirtiofsMount> mounts) {
      shares = List.copyOf(mounts);
      return this;
    }

    public Builder readyTimeout(Duration timeout) {
      readyTimeout = timeout;
      return this;
    }

    /**
     * A work directory the test made already (e.g. with files its disk or shares need); the test
     * removes it too.
     */
    public Builder work(Path dir) {
      work = dir;
      return this;
    }

    /** The spec this builder boots, for a disk at {@code disk} and runtime files under {@code dir}. */
    public VmSpec spec(Path dir, Path disk) throws Exception {
      GuestKernel kernel = TestKernels.distributionKernel();
      AcceleratorChoice accel = AcceleratorProbe.host().choose();
      return new VmSpec(name, kernel.vmlinuz(), TestKernels.initramfs(), disk, cpus,
          memoryMib * 1024 * 1024, accel.accelerator(), dir.resolve("run-" + name),
          dir.resolve(name + "-console.log"), name, kernelArgs, network, shares);
    }

    /** Makes the disk, starts the VM and waits for its agent; the caller closes the result. */
    public BootedVm boot(DiskMaker disk) throws Exception {
      Path dir = work != null ? work : Files.createTempDirectory(name);
      VirtualMachine vm = null;
      try {
        VmSpec spec = spec(dir, disk.make(dir));
        long t0 = System.nanoTime();
        vm = VirtualMachine.start(spec);
        AgentInfo info = vm.waitUntilReady(readyTimeout);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        System.err.printf("[vm] %s (%s): agent ready %d ms after start%n", name,
            spec.accelerator(), took.toMillis());
        return new BootedVm(dir, work == null, spec, vm, info, took);
      } catch (Exception | Error e) {
        if (vm != null) {
          try {
            vm.stop(Duration.ofSeconds(2));
          } catch (VmException ignored) {
            // reported with the boot failure
          }
        }
        if (work == null) {
          TestFiles.deleteUnlessKept(dir);
        }
        throw e;
      }
    }
  }

  public Path work() {
    return work;
  }

  public VmSpec spec() {
    return spec;
  }

  public VirtualMachine vm() {
    return vm;
  }

  /** What the agent said when it first answered. */
  public AgentInfo readyInfo() {
    return readyInfo;
  }

  /** QEMU start to agent ready. */
  public Duration bootTime() {
    return bootTime;
  }

  public Path disk() {
    return spec.disk();
  }

  public Path consoleLog() {
    return spec.consoleLog();
  }

  public GuestAgent connectAgent() throws AgentException {
    return vm.connectAgent();
  }

  /** Stops the VM (if running) and removes the work directory it made (unless kept). */
  @Override
  public void close() throws VmException {
    try {
      if (vm.isRunning()) {
        vm.stop(Duration.ofSeconds(2));
      }
    } finally {
      if (ownsWork) {
        TestFiles.deleteUnlessKept(work);
      }
    }
  }
}
