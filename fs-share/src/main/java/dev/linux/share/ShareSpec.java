package dev.linux.share;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One host directory shared with an environment.
 *
 * @param hostPath the directory on the host (absolute)
 * @param guestPath where it appears in the guest (absolute; by default the same path)
 * @param readOnly whether the guest may only read it
 */
public record ShareSpec(Path hostPath, String guestPath, boolean readOnly) {

  public ShareSpec {
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(guestPath, "guestPath");
    if (!hostPath.isAbsolute()) {
      throw new IllegalArgumentException("share host path must be absolute: " + hostPath);
    }
    if (!guestPath.startsWith("/")) {
      throw new IllegalArgumentException("share guest path must be absolute: " + guestPath);
    }
  }

  /** The host directory at the same path in the guest, writable. */
  public static ShareSpec samePath(Path hostPath) {
    return new ShareSpec(hostPath, hostPath.toString(), false);
  }
}
