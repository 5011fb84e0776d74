package dev.linux.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Under TCG the guest's TSC ticks at the host's rate, but the kernel's early calibration against
 * the emulated PIT fails when the host is busy, and the boot then hangs. Telling the kernel the
 * frequency ({@code tsc_early_khz}) skips that calibration.
 */
public final class TscFrequency {

  private TscFrequency() {}

  /** The kernel arguments a guest under {@code accelerator} needs for a reliable clock start. */
  public static List<String> kernelArgs(Accelerator accelerator) {
    if (accelerator != Accelerator.TCG) {
      return List.of();
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("cpu MHz")) {
          double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
          return mhz > 0 ? List.of("tsc_early_khz=" + Math.round(mhz * 1000)) : List.of();
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no hint: the kernel calibrates by itself
    }
    return List.of();
  }
}
