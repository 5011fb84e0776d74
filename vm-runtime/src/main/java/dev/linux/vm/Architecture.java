package dev.linux.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A guest (or host) CPU architecture, with the names each tool uses for it: Debian's ({@code
 * amd64}), QEMU's ({@code x86_64}), Go's ({@code amd64}) and the OCI platform's ({@code
 * linux/amd64}).
 */
public enum Architecture {
  X86_64("amd64", "x86_64", "amd64"),
  AARCH64("arm64", "aarch64", "arm64");

  private final String debian;
  private final String qemu;
  private final String go;

  Architecture(String debian, String qemu, String go) {
    this.debian = debian;
    this.qemu = qemu;
    this.go = go;
  }

  /** Debian's name: the suffix of {@code linux-image-cloud-amd64} and of {@code binary-amd64}. */
  public String debianName() {
    return debian;
  }

  /** QEMU's name: the suffix of {@code qemu-system-x86_64}. */
  public String qemuName() {
    return qemu;
  }

  /** Go's {@code GOARCH}. */
  public String goArch() {
    return go;
  }

  /** The OCI platform, e.g. {@code linux/arm64}. */
  public String platform() {
    return "linux/" + go;
  }

  /** The QEMU system emulator for guests of this architecture. */
  public String qemuBinary() {
    return "qemu-system-" + qemu;
  }

  /** The architecture this JVM runs on. */
  public static Architecture host() {
    return parse(System.getProperty("os.arch", ""));
  }

  /**
   * Any of the usual names: {@code amd64}, {@code x86_64}, {@code x86-64}, {@code arm64}, {@code
   * aarch64}, or an OCI platform such as {@code linux/arm64}.
   *
   * @throws IllegalArgumentException naming the supported architectures otherwise
   */
  public static Architecture parse(String name) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    if (n.startsWith("linux/")) {
      n = n.substring("linux/".length());
    }
    return switch (n) {
      case "amd64", "x86_64", "x86-64", "x64" -> X86_64;
      case "arm64", "aarch64", "arm64/v8" -> AARCH64;
      default ->
          throw new IllegalArgumentException(
              "unsupported architecture '" + name + "' (supported: linux/amd64, linux/arm64)");
    };
  }

  /**
   * The architecture a kernel image is built for, from its boot header: an arm64 {@code Image}
   * has the magic {@code ARM\x64} at offset 0x38 (Debian's arm64 {@code vmlinuz} is such an
   * uncompressed Image, with an EFI stub in front); an x86 {@code bzImage} has {@code HdrS} at
   * 0x202. Empty for anything else (including compressed images).
   */
  public static Optional<Architecture> ofKernelImage(Path vmlinuz) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(vmlinuz)) {
      head = in.readNBytes(0x206);
    }
    if (head.length >= 0x3c
        && Arrays.equals(head, 0x38, 0x3c, new byte[] {'A', 'R', 'M', 0x64}, 0, 4)) {
      return Optional.of(AARCH64);
    }
    if (head.length >= 0x206
        && Arrays.equals(head, 0x202, 0x206, "HdrS".getBytes(StandardCharsets.US_ASCII), 0, 4)) {
      return Optional.of(X86_64);
    }
    return Optional.empty();
  }
}
