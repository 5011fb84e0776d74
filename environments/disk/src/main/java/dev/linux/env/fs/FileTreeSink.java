package dev.linux.env.fs;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives a filesystem tree one entry at a time, the way image layers are applied: later calls
 * override earlier ones. Paths are absolute or relative to the root of the tree, use {@code /} as
 * separator and are normalised by the sink ({@code ./a//b} is {@code /a/b}); a path that escapes
 * the root ({@code ..} above it) is rejected with an {@link IllegalArgumentException}.
 *
 * <p>Replacement follows overlay semantics: creating an entry where one exists replaces it (a
 * directory replaced by a non-directory loses its whole subtree); creating a directory where a
 * directory exists only updates its metadata and keeps its children. A path that was hard-linked
 * and is then replaced gets a new inode; the other links keep the old one. Missing parent
 * directories are created with mode 0755, owner root.
 */
public interface FileTreeSink {

  /** Creates a directory, or updates the metadata of an existing one. */
  void directory(String path, FileMeta meta) throws IOException;

  /** Creates a regular file whose content is exactly {@code size} bytes read from {@code content}. */
  void regularFile(String path, FileMeta meta, long size, InputStream content) throws IOException;

  void symlink(String path, String target, FileMeta meta) throws IOException;

  /** Adds {@code path} as another name for the existing non-directory entry {@code existingPath}. */
  void hardLink(String path, String existingPath) throws IOException;

  /** A character device, block device or FIFO ({@code major}/{@code minor} are 0 for a FIFO). */
  void special(String path, SpecialType type, int major, int minor, FileMeta meta) throws IOException;

  /** Removes an entry and everything below it (a whiteout); nothing happens if it does not exist. */
  void remove(String path) throws IOException;

  /** Removes every child of a directory, keeping the directory itself (an opaque whiteout). */
  void clearDirectory(String path) throws IOException;

  /** Kinds of special files. */
  enum SpecialType {
    CHARACTER_DEVICE,
    BLOCK_DEVICE,
    FIFO
  }
}
