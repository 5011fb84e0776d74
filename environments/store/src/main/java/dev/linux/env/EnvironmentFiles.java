package dev.linux.env;

import java.nio.file.Path;

/**
 * All file names of one environment, in one place.
 *
 * @param dir the persistent directory ({@code environments/NAME})
 * @param runtime the runtime directory of its VM (sockets, pid file)
 */
public record EnvironmentFiles(Path dir, Path runtime) {

  public Path record() {
    return dir.resolve("env.json");
  }

  public Path disk() {
    return dir.resolve("disk.ext4");
  }

  public Path consoleLog() {
    return dir.resolve("console.log");
  }
}
