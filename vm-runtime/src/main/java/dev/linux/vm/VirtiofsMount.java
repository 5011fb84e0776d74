package dev.linux.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One virtiofs device of a VM: the vhost-user socket a running {@code virtiofsd} listens on (fs-share's
 * {@code VirtiofsServer} starts it before the VM), the tag the device carries, and where vminitd
 * mounts it in the environment.
 *
 * @param tag the device's tag (1 to 36 of letters, digits, '.', '_', '-'; unique within a VM)
 * @param socket virtiofsd's listening Unix socket (absolute)
 * @param guestPath the mount point in the environment (absolute; any characters but NUL and newline)
 * @param readOnly whether vminitd mounts it read-only (the host enforces it too)
 */
public record VirtiofsMount(String tag, Path socket, String guestPath, boolean readOnly) {

  /**
   * The kernel command line key vminitd reads, once per share: {@code linux.share=TAG:PATH[:ro]}
   * with PATH percent-encoded (UTF-8 bytes other than letters, digits and {@code / . _ -}).
   */
  public static final String KERNEL_ARG_KEY = "linux.share";

  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9._-]{1,36}");

  public VirtiofsMount {
    Objects.requireNonNull(tag, "tag");
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "invalid virtiofs tag '" + tag + "': 1 to 36 letters, digits, '.', '_' or '-'");
    }
    socket = Objects.requireNonNull(socket, "socket").toAbsolutePath().normalize();
    Objects.requireNonNull(guestPath, "guestPath");
    if (!guestPath.startsWith("/") || guestPath.indexOf('\0') >= 0 || guestPath.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "virtiofs guest path must be absolute, without NUL or newline: " + guestPath);
    }
  }

  /** This share's word on the kernel command line. */
  public String kernelArg() {
    return KERNEL_ARG_KEY + "=" + tag + ":" + percentEncode(guestPath) + (readOnly ? ":ro" : "");
  }

  static String percentEncode(String path) {
    StringBuilder b = new StringBuilder();
    for (byte raw : path.getBytes(StandardCharsets.UTF_8)) {
      int c = raw & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '/' || c == '.' || c == '_' || c == '-') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }
}
