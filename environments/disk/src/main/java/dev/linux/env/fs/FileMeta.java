package dev.linux.env.fs;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Ownership, permissions, times and extended attributes of one filesystem entry, as an image
 * layer describes it.
 *
 * @param permissions the permission bits including setuid, setgid and sticky ({@code 07777});
 *     the file type is never part of this value
 * @param uid owner, 0 to 2^32-1
 * @param gid group, 0 to 2^32-1
 * @param mtime modification time (nanosecond precision is kept where the source has it)
 * @param atime access time; {@code null} means "same as mtime"
 * @param ctime change time; {@code null} means "same as mtime"
 * @param xattrs extended attributes by full name (e.g. {@code security.capability}); never null
 */
public record FileMeta(
    int permissions, long uid, long gid, Instant mtime, Instant atime, Instant ctime,
    Map<String, byte[]> xattrs) {

  public FileMeta {
    if ((permissions & ~07777) != 0) {
      throw new IllegalArgumentException("permission bits out of range: " + Integer.toOctalString(permissions));
    }
    if (uid < 0 || uid > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("uid out of range: " + uid);
    }
    if (gid < 0 || gid > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("gid out of range: " + gid);
    }
    Objects.requireNonNull(mtime, "mtime");
    if (atime == null) {
      atime = mtime;
    }
    if (ctime == null) {
      ctime = mtime;
    }
    xattrs = xattrs == null ? Map.of() : Map.copyOf(xattrs);
  }

  /** Metadata owned by root with the given permissions and time. */
  public static FileMeta of(int permissions, Instant mtime) {
    return new FileMeta(permissions, 0, 0, mtime, null, null, Map.of());
  }
}
