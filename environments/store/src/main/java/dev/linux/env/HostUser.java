package dev.linux.env;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The user running the CLI on the host, whose name, uid and gid the environment's default user
 * gets (so files shared later keep their owners on both sides).
 */
public record HostUser(String name, int uid, int gid) {

  public static HostUser current() {
    try {
      Path self = Path.of("/proc/self");
      int uid = ((Number) Files.getAttribute(self, "unix:uid")).intValue();
      int gid = ((Number) Files.getAttribute(self, "unix:gid")).intValue();
      return new HostUser(System.getProperty("user.name"), uid, gid);
    } catch (IOException | UnsupportedOperationException e) {
      throw new EnvException(EnvException.Code.INTERNAL, "cannot tell who the host user is: " + e.getMessage(), e);
    }
  }
}
