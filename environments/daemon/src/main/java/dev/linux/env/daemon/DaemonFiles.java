package dev.linux.env.daemon;

import dev.linux.env.LinuxHome;
import java.nio.file.Path;

/**
 * Where the daemon of one linux home keeps its files: socket and lock in the private runtime
 * directory, its log beside the data.
 *
 * @param socket the Unix socket clients connect to (mode 0600, in a 0700 directory)
 * @param lock held for the daemon's whole life, so that one daemon runs per home
 * @param log what the daemon did (started, adopted, idle stops), appended to
 */
public record DaemonFiles(Path socket, Path lock, Path log) {

  public static DaemonFiles of(LinuxHome home) {
    return new DaemonFiles(
        home.runtime().resolve("daemon.sock"), home.runtime().resolve("daemon.lock"), home.data().resolve("daemon.log"));
  }
}
