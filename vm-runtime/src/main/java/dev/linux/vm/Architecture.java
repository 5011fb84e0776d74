package dev.linux.vm;

import java.util.Locale;

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
}
