package dev.linux.env.image;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a tar archive after GNU long-name and PAX records have been folded in.
 *
 * @param name the path as stored (not yet normalised)
 * @param linkName the target of a symlink or hard link, else null
 * @param xattrs from {@code SCHILY.xattr.*} and {@code LIBARCHIVE.xattr.*} records, byte exact
 */
record TarEntry(
    String name, Type type, int mode, long uid, long gid, long size, Instant mtime, Instant atime,
    Instant ctime, String linkName, int devMajor, int devMinor, Map<String, byte[]> xattrs) {

  enum Type {
    FILE,
    HARD_LINK,
    SYMLINK,
    CHARACTER_DEVICE,
    BLOCK_DEVICE,
    DIRECTORY,
    FIFO
  }
}
