package dev.linux.env.image;

import java.util.Locale;

/**
 * The platform an image runs on, in OCI terms.
 *
 * @param os e.g. {@code linux}
 * @param architecture GOARCH names: {@code amd64}, {@code arm64}
 * @param variant e.g. {@code v8}, or null
 */
public record Platform(String os, String architecture, String variant) {

  public Platform {
    if (os == null || os.isEmpty() || architecture == null || architecture.isEmpty()) {
      throw new IllegalArgumentException("platform needs an os and an architecture");
    }
  }

  /** Linux on the architecture this JVM runs on. */
  public static Platform host() {
    return new Platform("linux", goArch(System.getProperty("os.arch")), null);
  }

  /** Translates a JVM or uname architecture name to the GOARCH name images use. */
  public static String goArch(String arch) {
    return switch (arch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "riscv64" -> "riscv64";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      default -> arch;
    };
  }

  /** Whether an image built for {@code other} runs here; a missing variant matches any. */
  public boolean accepts(Platform other) {
    return os.equals(other.os) && architecture.equals(other.architecture)
        && (variant == null || other.variant == null || variant.equals(other.variant));
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
