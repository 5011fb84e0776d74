package dev.linux.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Chooses the accelerator: KVM only where hardware virtualization is really usable, HVF on macOS,
 * otherwise TCG. Some hosts expose {@code /dev/kvm} without hardware virtualization (nested PVM);
 * QEMU with {@code -accel kvm} spins silently there, so on x86 the CPU must also advertise vmx or
 * svm. {@code LINUX_ACCEL=kvm|hvf|tcg} overrides the probe.
 */
public final class AcceleratorProbe {
  static final String OVERRIDE_VARIABLE = "LINUX_ACCEL";
  private static final Pattern VIRT_FLAG = Pattern.compile("\\b(vmx|svm)\\b");

  private final Map<String, String> env;
  private final Supplier<String> cpuinfo;
  private final BooleanSupplier kvmUsable;
  private final String osArch;
  private final String osName;

  AcceleratorProbe(
      Map<String, String> env,
      Supplier<String> cpuinfo,
      BooleanSupplier kvmUsable,
      String osArch,
      String osName) {
    this.env = Objects.requireNonNull(env);
    this.cpuinfo = Objects.requireNonNull(cpuinfo);
    this.kvmUsable = Objects.requireNonNull(kvmUsable);
    this.osArch = Objects.requireNonNull(osArch);
    this.osName = Objects.requireNonNull(osName);
  }

  /** A probe of this host: its environment, {@code /proc/cpuinfo} and {@code /dev/kvm}. */
  public static AcceleratorProbe host() {
    Path kvm = Path.of("/dev/kvm");
    return new AcceleratorProbe(
        System.getenv(),
        () -> {
          try {
            return Files.readString(Path.of("/proc/cpuinfo"));
          } catch (IOException e) {
            return "";
          }
        },
        () -> Files.isReadable(kvm) && Files.isWritable(kvm),
        System.getProperty("os.arch", ""),
        System.getProperty("os.name", ""));
  }

  /**
   * Returns the choice.
   *
   * @throws IllegalArgumentException when {@code LINUX_ACCEL} holds an unknown value
   */
  public AcceleratorChoice choose() {
    String override = env.get(OVERRIDE_VARIABLE);
    if (override != null && !override.isBlank()) {
      Accelerator forced = parseOverride(override.trim());
      return new AcceleratorChoice(
          forced,
          "using " + forced + " (" + OVERRIDE_VARIABLE + "=" + override.trim() + ")");
    }
    String os = osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("mac") || os.contains("darwin")) {
      return new AcceleratorChoice(Accelerator.HVF, "using HVF (macOS Hypervisor.framework)");
    }
    if (!os.contains("linux")) {
      return tcg("no hardware accelerator known for " + osName);
    }
    if (!kvmUsable.getAsBoolean()) {
      return tcg("/dev/kvm is missing or not readable and writable by this user");
    }
    if (isX86(osArch) && !VIRT_FLAG.matcher(cpuinfo.get()).find()) {
      return tcg("/dev/kvm present but the CPU offers no vmx/svm");
    }
    return new AcceleratorChoice(Accelerator.KVM, "using KVM");
  }

  private static AcceleratorChoice tcg(String reason) {
    return new AcceleratorChoice(Accelerator.TCG, "using TCG software emulation: " + reason);
  }

  private static boolean isX86(String arch) {
    return switch (arch) {
      case "amd64", "x86_64", "x86", "i386", "i686" -> true;
      default -> false;
    };
  }

  private static Accelerator parseOverride(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "kvm" -> Accelerator.KVM;
      case "hvf" -> Accelerator.HVF;
      case "tcg" -> Accelerator.TCG;
      default ->
          throw new IllegalArgumentException(
              OVERRIDE_VARIABLE + "=" + value + ": expected kvm, hvf or tcg");
    };
  }
}
