package dev.linux.share;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Translates paths between the host and the guest across an environment's shares: the share whose
 * path is the longest prefix (component-wise) of the given path wins. A path outside every share
 * has no counterpart.
 */
public final class PathTranslator {
  private final List<ShareSpec> shares;

  public PathTranslator(List<ShareSpec> shares) {
    this.shares = List.copyOf(shares);
  }

  /** The guest path of an absolute host path, if a share contains it. */
  public Optional<String> toGuest(Path hostPath) {
    Path path = absolute(hostPath.toString());
    ShareSpec best = null;
    for (ShareSpec share : shares) {
      if (path.startsWith(share.hostPath())
          && (best == null || share.hostPath().getNameCount() > best.hostPath().getNameCount())) {
        best = share;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    Path rest = best.hostPath().relativize(path);
    return Optional.of(join(best.guestPath(), rest.toString()));
  }

  /** The host path of an absolute guest path, if a share contains it. */
  public Optional<Path> toHost(String guestPath) {
    Path path = absolute(guestPath);
    ShareSpec best = null;
    for (ShareSpec share : shares) {
      Path mount = Path.of(share.guestPath());
      if (path.startsWith(mount)
          && (best == null || mount.getNameCount() > Path.of(best.guestPath()).getNameCount())) {
        best = share;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    Path rest = Path.of(best.guestPath()).relativize(path);
    return Optional.of(rest.toString().isEmpty() ? best.hostPath() : best.hostPath().resolve(rest));
  }

  /** Like {@link #toGuest} but fails with a one-line message naming the path. */
  public String requireGuest(Path hostPath) {
    return toGuest(hostPath)
        .orElseThrow(
            () -> new IllegalArgumentException(hostPath + " is not in a directory shared with the environment"));
  }

  /** Like {@link #toHost} but fails with a one-line message naming the path. */
  public Path requireHost(String guestPath) {
    return toHost(guestPath)
        .orElseThrow(
            () -> new IllegalArgumentException(guestPath + " is not in a directory shared from the host"));
  }

  private static Path absolute(String path) {
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      throw new IllegalArgumentException("path must be absolute: " + path);
    }
    for (Path part : p) {
      if (part.toString().equals("..")) {
        throw new IllegalArgumentException("path must not contain '..': " + path);
      }
    }
    return p.normalize();
  }

  private static String join(String base, String rest) {
    if (rest.isEmpty()) {
      return base;
    }
    return base.equals("/") ? "/" + rest : base + "/" + rest;
  }
}
