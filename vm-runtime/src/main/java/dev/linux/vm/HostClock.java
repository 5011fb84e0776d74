package dev.linux.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's TSC frequency, which a TCG guest sees as its own (QEMU passes host ticks through).
 * Telling the guest kernel ({@code tsc_early_khz=}) spares it calibrating the TSC against the
 * emulated PIT: under host load that calibration fails and the guest hangs with its clock stuck
 * at zero (seen here in 4 of 4 boots next to another booting VM; 0 of 4 with the argument).
 */
final class HostClock {
  private static final Pattern CPU_MHZ = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9.]+)");

  private HostClock() {}

  static OptionalLong tscKhz() {
    try {
      return tscKhz(Files.readString(Path.of("/proc/cpuinfo")));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  static OptionalLong tscKhz(String cpuinfo) {
    Matcher m = CPU_MHZ.matcher(cpuinfo);
    if (!m.find()) {
      return OptionalLong.empty();
    }
    long khz = Math.round(Double.parseDouble(m.group(1)) * 1000);
    return khz > 0 ? OptionalLong.of(khz) : OptionalLong.empty();
  }

  /** The spec with {@code tsc_early_khz=} added for TCG guests, unless already given. */
  static VmSpec withTscHint(VmSpec spec, OptionalLong khz) {
    if (spec.accelerator() != Accelerator.TCG
        || spec.architecture() != Architecture.X86_64 // the arm64 generic timer needs no hint
        || khz.isEmpty()
        || spec.kernelArgs().stream().anyMatch(a -> a.startsWith("tsc_early_khz="))) {
      return spec;
    }
    var args = new java.util.ArrayList<>(spec.kernelArgs());
    args.add("tsc_early_khz=" + khz.getAsLong());
    return new VmSpec(
        spec.name(), spec.kernel(), spec.initrd(), spec.disk(), spec.cpus(), spec.memoryBytes(),
        spec.accelerator(), spec.runtimeDir(), spec.consoleLog(), spec.hostname(), args,
        spec.network(), spec.shares(), spec.architecture());
  }
}
