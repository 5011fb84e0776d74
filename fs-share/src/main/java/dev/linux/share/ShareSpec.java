package dev.linux.share;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One host directory shared with an environment.
 *
 * <p>Validated at construction: the host path must be an existing directory and is stored as its
 * real path (symlinks resolved, so that it compares with the host's working directories); the
 * guest path must be absolute and normal (no {@code .} or {@code ..}, no empty components, no NUL
 * or newline) and may not be {@code /} or a directory the guest needs for itself: {@code /proc},
 * {@code /sys}, {@code /dev}, {@code /run} and anything under them (the guest mounts its own file
 * systems there), nor exactly {@code /bin}, {@code /boot}, {@code /etc}, {@code /lib}, {@code
 * /lib32}, {@code /lib64}, {@code /libx32}, {@code /sbin}, {@code /tmp}, {@code /usr} or {@code
 * /var} (directories below those are fine: {@code /tmp/x} is a mount point in the guest's tmpfs).
 *
 * @param hostPath the directory on the host (absolute, real)
 * @param guestPath where it appears in the guest (absolute, normal; by default the host path)
 * @param readOnly whether the guest may only read it (enforced on the host, not only in the guest)
 */
public record ShareSpec(Path hostPath, String guestPath, boolean readOnly) {

  private static final List<String> RESERVED_TREES = List.of("/proc", "/sys", "/dev", "/run");
  private static final List<String> RESERVED_DIRS =
      List.of("/", "/bin", "/boot", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/tmp",
          "/usr", "/var");

  public ShareSpec {
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(guestPath, "guestPath");
    hostPath = realDirectory(hostPath);
    guestPath = guestPath(guestPath);
  }

  /** The host directory at the same path in the guest, writable. */
  public static ShareSpec samePath(Path hostPath) {
    return new ShareSpec(hostPath, checkedHostPath(hostPath.toString()).toString(), false);
  }

  /**
   * Parses {@code HOST[:GUEST][:ro|:rw]} as users write it: {@code ~/src}-style expansion is the
   * shell's job, so HOST must be absolute; GUEST defaults to HOST (as written, normalised). The
   * guest part starts at the first {@code ":/"}: host paths containing {@code ":/"} cannot be
   * shared this way.
   *
   * @throws IllegalArgumentException with a one-line message naming the input
   */
  public static ShareSpec parse(String text) {
    Objects.requireNonNull(text, "text");
    try {
      String rest = text;
      boolean readOnly = false;
      if (rest.endsWith(":ro") || rest.endsWith(":rw")) {
        readOnly = rest.endsWith(":ro");
        rest = rest.substring(0, rest.length() - 3);
      }
      String host = rest;
      String guest = null;
      int split = rest.indexOf(":/");
      if (split >= 0) {
        host = rest.substring(0, split);
        guest = rest.substring(split + 1);
      } else if (rest.endsWith(":")) {
        throw new IllegalArgumentException("empty guest path");
      } else if (rest.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "'" + rest.substring(rest.lastIndexOf(':') + 1) + "' is neither an absolute guest path nor ro/rw");
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException("empty host path");
      }
      Path hostPath = checkedHostPath(host);
      return new ShareSpec(hostPath, guest == null ? hostPath.toString() : guest, readOnly);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid share '" + text + "': " + e.getMessage() + " (expected HOST[:GUEST][:ro])", e);
    }
  }

  /** {@code HOST:GUEST[:ro]}, which {@link #parse} reads back. */
  @Override
  public String toString() {
    return hostPath + ":" + guestPath + (readOnly ? ":ro" : "");
  }

  private static Path checkedHostPath(String host) {
    if (host.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("host path contains a NUL byte");
    }
    Path path = Path.of(host);
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("host path must be absolute: " + host);
    }
    for (Path part : path) {
      if (part.toString().equals("..")) {
        throw new IllegalArgumentException("host path must not contain '..': " + host);
      }
    }
    return path.normalize();
  }

  private static Path realDirectory(Path hostPath) {
    Path path = checkedHostPath(hostPath.toString());
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          "share host path " + path + (Files.exists(path) ? " is not a directory" : " does not exist"));
    }
    try {
      return path.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("share host path " + path + ": " + e.getMessage(), e);
    }
  }

  /** Checks and normalises a guest path (collapses repeated and trailing slashes). */
  static String guestPath(String guestPath) {
    if (!guestPath.startsWith("/")) {
      throw new IllegalArgumentException("share guest path must be absolute: " + guestPath);
    }
    if (guestPath.indexOf('\0') >= 0 || guestPath.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("share guest path contains a NUL or newline");
    }
    List<String> parts = new ArrayList<>();
    for (String part : guestPath.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException(
            "share guest path must not contain '" + part + "': " + guestPath);
      }
      parts.add(part);
    }
    String normal = "/" + String.join("/", parts);
    if (normal.length() > 4000) {
      throw new IllegalArgumentException("share guest path is too long: " + normal.length() + " bytes");
    }
    if (RESERVED_DIRS.contains(normal)) {
      throw new IllegalArgumentException("cannot share onto the guest's " + normal);
    }
    for (String tree : RESERVED_TREES) {
      if (normal.equals(tree) || normal.startsWith(tree + "/")) {
        throw new IllegalArgumentException(
            "cannot share onto " + normal + ": the guest keeps " + tree + " for itself");
      }
    }
    return normal;
  }
}
