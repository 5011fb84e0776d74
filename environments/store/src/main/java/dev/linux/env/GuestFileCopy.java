package dev.linux.env;

import dev.linux.vm.AgentException;
import dev.linux.vm.FileStat;
import dev.linux.vm.GuestAgent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * Copies regular files between the host and an environment through its guest agent ({@code linux
 * cp}). Into the environment: a directory target gets the source's file name; an existing file keeps
 * its owner, a new one gets the owner of its directory (so a copy into a user's home belongs to that
 * user). Out of it: the host file appears atomically once complete.
 */
final class GuestFileCopy {

  private GuestFileCopy() {}

  /**
   * @param mode permission bits for the file (empty: the existing file's, else 0644)
   * @param sourceName the file name a directory target gets (empty when the source has none)
   * @return the path written in the environment
   */
  static String copyIn(GuestAgent agent, EnvName env, InputStream source, String guestPath, OptionalInt mode, String sourceName) {
    requireAbsolute(env, guestPath);
    try {
      String target = guestPath;
      FileStat existing = statOrNull(agent, target);
      if (guestPath.endsWith("/") || (existing != null && existing.isDirectory())) {
        if (sourceName.isEmpty()) {
          throw new EnvException(EnvException.Code.INVALID_ARGUMENT, env + ":" + guestPath + " is a directory; name the file to write");
        }
        target = (guestPath.endsWith("/") ? guestPath : guestPath + "/") + sourceName;
        existing = statOrNull(agent, target);
      }
      int uid;
      int gid;
      int bits;
      if (existing != null) {
        if (!existing.isRegularFile()) {
          throw new EnvException(EnvException.Code.INVALID_ARGUMENT, env + ":" + target + " is not a regular file");
        }
        uid = existing.uid();
        gid = existing.gid();
        bits = mode.orElse(existing.permissions());
      } else {
        FileStat parent = statOrNull(agent, parentOf(target));
        if (parent == null || !parent.isDirectory()) {
          throw new EnvException(EnvException.Code.NOT_FOUND, "no directory " + parentOf(target) + " in " + env);
        }
        uid = parent.uid();
        gid = parent.gid();
        bits = mode.orElse(0644);
      }
      agent.copyIn(source, target, bits, uid, gid);
      return target;
    } catch (AgentException e) {
      throw translate(env, guestPath, e);
    }
  }

  /** Streams the environment's regular file {@code guestPath} into {@code target}. */
  static FileStat copyOut(GuestAgent agent, EnvName env, String guestPath, OutputStream target) {
    requireAbsolute(env, guestPath);
    try {
      FileStat stat = agent.stat(guestPath, true);
      if (!stat.isRegularFile()) {
        throw new EnvException(EnvException.Code.INVALID_ARGUMENT, env + ":" + guestPath + " is not a regular file");
      }
      return agent.copyOut(guestPath, target);
    } catch (AgentException e) {
      throw translate(env, guestPath, e);
    }
  }

  /**
   * Copies the environment's file to the host path {@code hostPath} (into it when it is a
   * directory), through a temporary file renamed into place. Returns the host file written.
   */
  static Path copyOut(GuestAgent agent, EnvName env, String guestPath, Path hostPath) {
    Path target = Files.isDirectory(hostPath) ? hostPath.resolve(fileName(guestPath)) : hostPath;
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + target.getFileName() + ".linux-cp-" + UUID.randomUUID());
    try {
      FileStat stat;
      try (OutputStream out = Files.newOutputStream(tmp)) {
        stat = copyOut(agent, env, guestPath, out);
      }
      Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString(rwx(stat.permissions())));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  static String fileName(String path) {
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }

  static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  private static String rwx(int bits) {
    String letters = "rwxrwxrwx";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      s.append((bits & (0400 >> i)) != 0 ? letters.charAt(i) : '-');
    }
    return s.toString();
  }

  private static FileStat statOrNull(GuestAgent agent, String path) throws AgentException {
    try {
      return agent.stat(path, true);
    } catch (AgentException e) {
      if (e.code() == AgentException.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private static void requireAbsolute(EnvName env, String guestPath) {
    if (!guestPath.startsWith("/")) {
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT,
          "paths in an environment are absolute: " + env + ":/" + guestPath + ", not " + env + ":" + guestPath);
    }
  }

  private static EnvException translate(EnvName env, String path, AgentException e) {
    EnvException.Code code = switch (e.code()) {
      case NOT_FOUND -> EnvException.Code.NOT_FOUND;
      case INVALID_ARGUMENT, PERMISSION_DENIED -> EnvException.Code.INVALID_ARGUMENT;
      case FAILED_PRECONDITION -> EnvException.Code.FAILED_PRECONDITION;
      default -> EnvException.Code.UNAVAILABLE;
    };
    return new EnvException(code, env + ":" + path + ": " + e.getMessage(), e);
  }
}
