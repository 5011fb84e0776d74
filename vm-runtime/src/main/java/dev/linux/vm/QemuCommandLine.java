package dev.linux.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds QEMU's argument list for a {@link VmSpec}: a pure function, so what the VM gets is
 * decided (and tested) in one place and the runner that executes it stays separate.
 */
public final class QemuCommandLine {
  /** The port name vminitd serves the agent on (its {@code linux.agent} kernel argument). */
  public static final String AGENT_PORT = "linux.agent";

  /** The id of the user-mode network backend (for {@code hostfwd_add} through the monitor). */
  public static final String NETDEV_ID = "net0";

  /** x86's COMMAND_LINE_SIZE is 2048 including the terminating NUL. */
  static final int MAX_KERNEL_COMMAND_LINE_BYTES = 2047;

  /** sun_path holds 108 bytes including the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  private QemuCommandLine() {}

  /**
   * Returns the full command (binary first) that starts the VM detached ({@code -daemonize}).
   *
   * @throws IllegalArgumentException when a socket path is too long for a Unix socket, or the
   *     binary does not emulate the spec's architecture
   */
  public static List<String> build(VmSpec spec, String qemuBinary) {
    checkSocketPath(spec.agentSocket());
    checkSocketPath(spec.qmpSocket());
    String binaryName = Path.of(qemuBinary).getFileName().toString();
    String expected = spec.architecture().qemuBinary();
    if (!binaryName.endsWith(spec.architecture().qemuName())) {
      throw new IllegalArgumentException(
          "unsupported QEMU binary '" + qemuBinary + "': a " + spec.architecture().platform()
              + " guest needs " + expected);
    }
    String memory = spec.memoryMib() + "M";
    List<String> cmd = new ArrayList<>();
    cmd.add(qemuBinary);
    cmd.addAll(machineArgs(spec));
    cmd.addAll(List.of("-accel", spec.accelerator().qemuName()));
    cmd.addAll(List.of("-cpu", spec.accelerator() == Accelerator.TCG ? "max" : "host"));
    cmd.addAll(List.of("-m", memory, "-smp", Integer.toString(spec.cpus())));
    cmd.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
    // vhost-user devices (virtiofs) need modern virtio-mmio and memory shared with other processes.
    cmd.addAll(List.of("-global", "virtio-mmio.force-legacy=false"));
    cmd.addAll(
        List.of("-object", "memory-backend-memfd,id=mem,size=" + memory + ",share=on"));
    cmd.addAll(List.of("-numa", "node,memdev=mem"));
    cmd.addAll(List.of("-kernel", spec.kernel().toString()));
    cmd.addAll(List.of("-initrd", spec.initrd().toString()));
    cmd.addAll(List.of("-append", kernelCommandLine(spec)));
    cmd.addAll(List.of("-serial", "file:" + spec.consoleLog()));
    cmd.addAll(
        List.of(
            "-drive",
            "id=root,file=" + escapeOption(spec.disk().toString())
                + ",format=raw,if=none,discard=unmap,cache=writeback"));
    cmd.addAll(List.of("-device", "virtio-blk-device,drive=root"));
    cmd.addAll(List.of("-device", "virtio-serial-device"));
    cmd.addAll(
        List.of(
            "-chardev",
            "socket,id=agent,path=" + escapeOption(spec.agentSocket().toString())
                + ",server=on,wait=off"));
    cmd.addAll(List.of("-device", "virtserialport,chardev=agent,name=" + AGENT_PORT));
    cmd.addAll(VirtiofsDevices.arguments(spec.shares()));
    cmd.addAll(List.of("-device", "virtio-rng-device"));
    // Memory the guest frees goes back to the host.
    cmd.addAll(List.of("-device", "virtio-balloon-device,free-page-reporting=on"));
    cmd.addAll(networkArgs(spec));
    cmd.addAll(List.of("-qmp", "unix:" + spec.qmpSocket() + ",server=on,wait=off"));
    cmd.addAll(List.of("-daemonize", "-pidfile", spec.pidFile().toString()));
    return List.copyOf(cmd);
  }

  /**
   * The machine: on x86_64 {@code microvm}, on aarch64 {@code virt}. Both give the same
   * virtio-mmio transports ({@code virtio-*-device}), so the devices, the guest's modules and
   * vminitd are the same on both; only how the guest finds them differs (ACPI on microvm, the
   * device tree on virt).
   */
  static List<String> machineArgs(VmSpec spec) {
    return switch (spec.architecture()) {
      case X86_64 -> microvmArgs();
      case AARCH64 -> virtArgs();
    };
  }

  /** The Debian kernel finds virtio-mmio devices only through ACPI: keep it on. */
  private static List<String> microvmArgs() {
    return List.of("-M", "microvm,acpi=on");
  }

  /**
   * QEMU's {@code virt} board booted directly from {@code -kernel} (no firmware, so the guest gets a
   * device tree, not ACPI): a PL011 UART (Debian's arm64 kernels have {@code amba-pl011} built
   * in), a PL031 RTC, PSCI for power off, and virtio-mmio transports the device tree describes
   * ({@code virtio_mmio} finds them without {@code virtio_mmio.device=} arguments).
   * {@code gic-version=max}: the best interrupt controller the accelerator offers (GICv3 under TCG
   * and KVM, which beyond 8 CPUs needs it). The board's PCIe host stays unused.
   */
  private static List<String> virtArgs() {
    return List.of("-M", "virt,gic-version=max");
  }

  /** The guest's console device: the 16550 UART on x86, the PL011 on aarch64. */
  static String console(Architecture arch) {
    return switch (arch) {
      case X86_64 -> "ttyS0";
      case AARCH64 -> "ttyAMA0";
    };
  }

  /** The kernel command line: our fixed words, the vminitd contract, then the spec's extras. */
  static String kernelCommandLine(VmSpec spec) {
    List<String> words = new ArrayList<>();
    words.addAll(List.of("console=" + console(spec.architecture()), "quiet", "panic=-1"));
    words.add("linux.agent=" + AGENT_PORT);
    words.add("linux.root=/dev/vda");
    words.add("linux.hostname=" + spec.hostname());
    if (spec.network() != NetworkMode.NONE) {
      words.add(spec.network().kernelArg());
    }
    words.addAll(VirtiofsDevices.kernelArgs(spec.shares()));
    words.addAll(spec.kernelArgs());
    String line = String.join(" ", words);
    if (line.getBytes(StandardCharsets.UTF_8).length > MAX_KERNEL_COMMAND_LINE_BYTES) {
      throw new IllegalArgumentException(
          "kernel command line too long (" + line.length() + " bytes, at most "
              + MAX_KERNEL_COMMAND_LINE_BYTES + "): fewer or shorter shares or kernel arguments");
    }
    return line;
  }

  /**
   * The network device. USER: QEMU's user-mode network (outbound and DNS; nothing forwarded in at
   * boot, forwards are added at run time) on a virtio-net device with the spec's stable MAC. NONE:
   * nothing ({@code -nodefaults} already keeps QEMU from adding its default NIC).
   */
  static List<String> networkArgs(VmSpec spec) {
    return switch (spec.network()) {
      case NONE -> List.of();
      case USER ->
          List.of(
              "-netdev", "user,id=" + NETDEV_ID,
              "-device", "virtio-net-device,netdev=" + NETDEV_ID + ",mac=" + spec.macAddress());
    };
  }

  /** QEMU option values separate with ',': a literal comma is written twice. */
  static String escapeOption(String value) {
    return value.replace(",", ",,");
  }

  static void checkSocketPath(Path socket) {
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException(
          "socket path too long for a Unix socket ("
              + length
              + " bytes, at most "
              + MAX_SOCKET_PATH_BYTES
              + "): "
              + socket
              + "; use a shorter runtime directory");
    }
  }
}
