package dev.linux.env.ext4;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink.SpecialType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-memory tree of a filesystem being written: names and metadata only, never file content.
 * Implements the overlay replacement rules of {@link dev.linux.env.fs.FileTreeSink}; hard links
 * are several names referring to one {@link Node}.
 */
final class FileTree {
  static final int MAX_NAME_BYTES = 255;

  /** One inode: what several hard-linked names share. */
  abstract static sealed class Node permits Directory, RegularFile, Symlink, Special {
    FileMeta meta;
    /** Assigned when the filesystem is finished; 0 until then. */
    int ino;
    int links;

    Node(FileMeta meta) {
      this.meta = meta;
    }
  }

  static final class Directory extends Node {
    final Map<String, Node> children = new LinkedHashMap<>();

    Directory(FileMeta meta) {
      super(meta);
    }
  }

  static final class RegularFile extends Node {
    final long size;
    final ExtentList extents;

    RegularFile(FileMeta meta, long size, ExtentList extents) {
      super(meta);
      this.size = size;
      this.extents = extents;
    }
  }

  static final class Symlink extends Node {
    final byte[] target;

    Symlink(FileMeta meta, byte[] target) {
      super(meta);
      this.target = target;
    }
  }

  static final class Special extends Node {
    final SpecialType type;
    final int major;
    final int minor;

    Special(FileMeta meta, SpecialType type, int major, int minor) {
      super(meta);
      this.type = type;
      this.major = major;
      this.minor = minor;
    }
  }

  private final Directory root;
  private final Instant defaultTime;

  FileTree(Instant defaultTime) {
    this.defaultTime = defaultTime;
    this.root = new Directory(FileMeta.of(0755, defaultTime));
  }

  Directory root() {
    return root;
  }

  /**
   * Splits a path into checked names, resolving {@code .} and {@code ..}.
   *
   * @throws IllegalArgumentException if the path escapes the root or a name is not storable
   */
  static List<String> normalise(String path) {
    if (path == null) {
      throw new IllegalArgumentException("path is null");
    }
    List<String> names = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (names.isEmpty()) {
          throw new IllegalArgumentException("path escapes the root: " + path);
        }
        names.remove(names.size() - 1);
        continue;
      }
      if (part.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("name contains NUL: " + path);
      }
      if (part.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw new IllegalArgumentException("name longer than 255 bytes in " + path);
      }
      names.add(part);
    }
    return names;
  }

  /** The directory that holds the last name of {@code names}, creating missing ones. */
  Directory parentOf(List<String> names) {
    Directory dir = root;
    for (int i = 0; i < names.size() - 1; i++) {
      Node child = dir.children.get(names.get(i));
      if (child instanceof Directory d) {
        dir = d;
      } else {
        // missing, or a non-directory in the way: overlay replaces it with a directory
        Directory created = new Directory(FileMeta.of(0755, defaultTime));
        dir.children.put(names.get(i), created);
        dir = created;
      }
    }
    return dir;
  }

  /** Looks up a path without creating anything; null when absent. */
  Node find(List<String> names) {
    Node node = root;
    for (String name : names) {
      if (!(node instanceof Directory d)) {
        return null;
      }
      node = d.children.get(name);
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  void directory(String path, FileMeta meta) {
    List<String> names = normalise(path);
    if (names.isEmpty()) {
      root.meta = meta;
      return;
    }
    Directory parent = parentOf(names);
    String name = last(names);
    if (parent.children.get(name) instanceof Directory existing) {
      existing.meta = meta;
    } else {
      parent.children.put(name, new Directory(meta));
    }
  }

  /** Puts a non-directory node at {@code path}, replacing whatever was there. */
  void put(String path, Node node) {
    List<String> names = requireNotRoot(path);
    parentOf(names).children.put(last(names), node);
  }

  /** Checks that {@code path} names something other than the root, before content is consumed. */
  static List<String> requireNotRoot(String path) {
    List<String> names = normalise(path);
    if (names.isEmpty()) {
      throw new IllegalArgumentException("the root can only be a directory: " + path);
    }
    return names;
  }

  void hardLink(String path, String existingPath) throws IOException {
    List<String> names = requireNotRoot(path);
    Node target = find(normalise(existingPath));
    if (target == null) {
      // The archive is at fault, not the host: an invalid argument, not an I/O error.
      throw new IllegalArgumentException("hard link " + path + ": its target " + existingPath + " is not in the archive");
    }
    if (target instanceof Directory) {
      throw new IllegalArgumentException("cannot hard-link a directory: " + existingPath);
    }
    parentOf(names).children.put(last(names), target);
  }

  void remove(String path) {
    List<String> names = normalise(path);
    if (names.isEmpty()) {
      root.children.clear();
      return;
    }
    Node parent = find(names.subList(0, names.size() - 1));
    if (parent instanceof Directory d) {
      d.children.remove(last(names));
    }
  }

  void clearDirectory(String path) {
    if (find(normalise(path)) instanceof Directory d) {
      d.children.clear();
    }
  }

  private static String last(List<String> names) {
    return names.get(names.size() - 1);
  }
}
