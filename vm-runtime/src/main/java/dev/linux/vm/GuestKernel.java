package dev.linux.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A guest kernel ready to boot: its image and its modules directory (the content of
 * {@code /lib/modules/VERSION}: {@code modules.builtin}, {@code kernel/...}, ideally {@code modules.dep}).
 */
public record GuestKernel(String version, Path vmlinuz, Path modulesDir) {
  public GuestKernel {
    Objects.requireNonNull(version, "version");
    if (version.isBlank() || version.contains("/")) {
      throw new IllegalArgumentException("invalid kernel version '" + version + "'");
    }
    vmlinuz = Objects.requireNonNull(vmlinuz, "vmlinuz").toAbsolutePath().normalize();
    modulesDir = Objects.requireNonNull(modulesDir, "modulesDir").toAbsolutePath().normalize();
  }

  /**
   * A kernel named in configuration: a {@code vmlinuz} and its modules directory, whose name is
   * taken as the version.
   */
  public static GuestKernel configured(Path vmlinuz, Path modulesDir) {
    if (!Files.isRegularFile(vmlinuz)) {
      throw new IllegalArgumentException("kernel image not found: " + vmlinuz);
    }
    if (!Files.isDirectory(modulesDir)) {
      throw new IllegalArgumentException("kernel modules directory not found: " + modulesDir);
    }
    return new GuestKernel(
        modulesDir.toAbsolutePath().normalize().getFileName().toString(), vmlinuz, modulesDir);
  }

  /**
   * The architecture the kernel runs on, read from the image's boot header; a kernel whose header
   * says nothing (compressed, unknown) is taken for the host's.
   */
  public Architecture architecture() {
    try {
      return Architecture.ofKernelImage(vmlinuz).orElseGet(Architecture::host);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kernel image " + vmlinuz, e);
    }
  }
}
