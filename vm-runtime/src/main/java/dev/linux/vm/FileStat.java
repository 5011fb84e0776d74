package dev.linux.vm;

import java.time.Instant;

/**
 * Metadata of a file in the environment.
 *
 * @param path the path asked for
 * @param mode {@code st_mode}: type bits ({@code S_IFMT}) and permission bits
 * @param uid owner
 * @param gid group
 * @param size size in bytes
 * @param modified last modification time
 * @param linkTarget a symbolic link's target (when not followed), else empty
 */
public record FileStat(String path, int mode, int uid, int gid, long size, Instant modified, String linkTarget) {
  private static final int S_IFMT = 0170000;

  public boolean isRegularFile() {
    return (mode & S_IFMT) == 0100000;
  }

  public boolean isDirectory() {
    return (mode & S_IFMT) == 0040000;
  }

  public boolean isSymbolicLink() {
    return (mode & S_IFMT) == 0120000;
  }

  /** The permission bits (including setuid, setgid and sticky). */
  public int permissions() {
    return mode & 07777;
  }
}
