package dev.linux.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything needed to boot one environment's VM.
 *
 * @param name the environment's name (letters, digits, '.', '_', '-'; at most 64)
 * @param kernel the guest kernel image ({@code vmlinuz})
 * @param initrd the init filesystem (see {@link InitramfsBuilder})
 * @param disk the environment's root disk, a raw EXT4 image; the guest sees it as {@code /dev/vda}
 * @param cpus virtual CPUs, 1 to 256
 * @param memoryBytes guest memory, a whole number of MiB, at least 64 MiB
 * @param accelerator how QEMU runs guest code
 * @param runtimeDir per-VM directory holding {@code agent.sock}, {@code qmp.sock}, {@code qemu.pid}
 * @param consoleLog where the guest's serial console is written
 * @param hostname the guest's hostname (an RFC 1123 host name)
 * @param kernelArgs extra kernel command line words, appended after ours
 * @param network how the guest reaches the network ({@link NetworkMode#USER} unless said otherwise)
 * @param shares virtiofs devices, their servers already listening; vminitd mounts them in the
 *     environment (tags must be unique)
 * @param architecture the guest's CPU architecture (the host's unless said otherwise); it picks the
 *     QEMU binary and machine ({@code microvm} for x86_64, {@code virt} for aarch64)
 */
public record VmSpec(
    String name,
    Path kernel,
    Path initrd,
    Path disk,
    int cpus,
    long memoryBytes,
    Accelerator accelerator,
    Path runtimeDir,
    Path consoleLog,
    String hostname,
    List<String> kernelArgs,
    NetworkMode network,
    List<VirtiofsMount> shares,
    Architecture architecture) {

  static final long MIB = 1024 * 1024;

  /**
   * The kernel argument that makes the guest start the environment's own init (systemd) in a PID
   * namespace of its own, as {@code [boot] systemd=true} in the image's {@code /etc/wsl.conf} does.
   */
  public static final String SYSTEMD_KERNEL_ARG = "linux.systemd=1";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern HOSTNAME =
      Pattern.compile(
          "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
              + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  public VmSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid VM name '" + name + "': use letters, digits, '.', '_' or '-' (at most 64)");
    }
    kernel = absolute(kernel, "kernel");
    initrd = absolute(initrd, "initrd");
    disk = absolute(disk, "disk");
    runtimeDir = absolute(runtimeDir, "runtimeDir");
    consoleLog = absolute(consoleLog, "consoleLog");
    if (cpus < 1 || cpus > 256) {
      throw new IllegalArgumentException("cpus must be between 1 and 256, not " + cpus);
    }
    if (memoryBytes < 64 * MIB || memoryBytes % MIB != 0) {
      throw new IllegalArgumentException(
          "memory must be a whole number of MiB and at least 64 MiB, not " + memoryBytes + " bytes");
    }
    Objects.requireNonNull(accelerator, "accelerator");
    Objects.requireNonNull(hostname, "hostname");
    if (!HOSTNAME.matcher(hostname).matches()) {
      throw new IllegalArgumentException("invalid hostname '" + hostname + "'");
    }
    kernelArgs = List.copyOf(Objects.requireNonNull(kernelArgs, "kernelArgs"));
    for (String arg : kernelArgs) {
      if (arg.isBlank() || arg.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "kernel argument '" + arg + "' must be one non-empty word without whitespace");
      }
      if (arg.startsWith(NetworkMode.KERNEL_KEY + "=")) {
        throw new IllegalArgumentException(
            "kernel argument '" + arg + "': the network is chosen by the spec's network mode");
      }
    }
    Objects.requireNonNull(network, "network");
    shares = List.copyOf(Objects.requireNonNull(shares, "shares"));
    if (shares.stream().map(VirtiofsMount::tag).distinct().count() != shares.size()) {
      throw new IllegalArgumentException("virtiofs tags must be unique: " + shares);
    }
    Objects.requireNonNull(architecture, "architecture");
  }

  /** A spec for a guest of the host's architecture. */
  public VmSpec(
      String name,
      Path kernel,
      Path initrd,
      Path disk,
      int cpus,
      long memoryBytes,
      Accelerator accelerator,
      Path runtimeDir,
      Path consoleLog,
      String hostname,
      List<String> kernelArgs,
      NetworkMode network,
      List<VirtiofsMount> shares) {
    this(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir, consoleLog, hostname,
        kernelArgs, network, shares, Architecture.host());
  }

  /** A spec without shared directories. */
  public VmSpec(
      String name,
      Path kernel,
      Path initrd,
      Path disk,
      int cpus,
      long memoryBytes,
      Accelerator accelerator,
      Path runtimeDir,
      Path consoleLog,
      String hostname,
      List<String> kernelArgs,
      NetworkMode network,
      Architecture architecture) {
    this(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir, consoleLog, hostname,
        kernelArgs, network, List.of(), architecture);
  }

  /** A spec without shared directories, for a guest of the host's architecture. */
  public VmSpec(
      String name,
      Path kernel,
      Path initrd,
      Path disk,
      int cpus,
      long memoryBytes,
      Accelerator accelerator,
      Path runtimeDir,
      Path consoleLog,
      String hostname,
      List<String> kernelArgs,
      NetworkMode network) {
    this(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir, consoleLog, hostname,
        kernelArgs, network, List.of(), Architecture.host());
  }

  /**
   * A spec with {@link NetworkMode#USER} networking and no shared directories, for a guest of the
   * host's architecture.
   */
  public VmSpec(
      String name,
      Path kernel,
      Path initrd,
      Path disk,
      int cpus,
      long memoryBytes,
      Accelerator accelerator,
      Path runtimeDir,
      Path consoleLog,
      String hostname,
      List<String> kernelArgs) {
    this(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir, consoleLog, hostname,
        kernelArgs, NetworkMode.USER, List.of());
  }

  /** This spec with another network mode. */
  public VmSpec withNetwork(NetworkMode mode) {
    return new VmSpec(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir,
        consoleLog, hostname, kernelArgs, mode, shares, architecture);
  }

  /** This spec with {@code shares} as its virtiofs devices. */
  public VmSpec withShares(List<VirtiofsMount> shares) {
    return new VmSpec(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir,
        consoleLog, hostname, kernelArgs, network, shares, architecture);
  }

  /** This spec for a guest of another architecture. */
  public VmSpec withArchitecture(Architecture arch) {
    return new VmSpec(name, kernel, initrd, disk, cpus, memoryBytes, accelerator, runtimeDir,
        consoleLog, hostname, kernelArgs, network, shares, arch);
  }

  /**
   * The guest's MAC address: stable for a VM name, in QEMU's {@code 52:54:00} prefix (whose first
   * octet has the locally administered bit set and the multicast bit clear), the last three octets
   * from a SHA-256 of the name.
   */
  public String macAddress() {
    byte[] hash;
    try {
      hash = MessageDigest.getInstance("SHA-256")
          .digest(name.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    return String.format("52:54:00:%02x:%02x:%02x", hash[0] & 0xff, hash[1] & 0xff, hash[2] & 0xff);
  }

  /**
   * This spec with the guest clock hint the host's accelerator needs: under TCG, {@code
   * tsc_early_khz=<host TSC kHz>} (read from {@code /proc/cpuinfo}), unless the kernel arguments already
   * give one; otherwise this spec unchanged. {@link VirtualMachine#start} applies it itself; a
   * caller that builds and runs a QEMU command line on its own ({@link QemuCommandLine#build})
   * should pass {@code spec.withClockHint()} to get the same guest.
   */
  public VmSpec withClockHint() {
    return HostClock.withTscHint(this, HostClock.tscKhz());
  }

  /** Guest memory in MiB. */
  public long memoryMib() {
    return memoryBytes / MIB;
  }

  /** The host end of the guest agent's virtio-serial port. */
  public Path agentSocket() {
    return runtimeDir.resolve("agent.sock");
  }

  /** QEMU's machine protocol socket. */
  public Path qmpSocket() {
    return runtimeDir.resolve("qmp.sock");
  }

  /** QEMU writes its pid here once the VM runs. */
  public Path pidFile() {
    return runtimeDir.resolve("qemu.pid");
  }

  private static Path absolute(Path path, String what) {
    return Objects.requireNonNull(path, what).toAbsolutePath().normalize();
  }
}
