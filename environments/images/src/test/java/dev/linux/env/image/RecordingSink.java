package dev.linux.env.image;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** An in-memory {@link FileTreeSink} with overlay semantics; keeps small file contents, hashes big ones. */
final class RecordingSink implements FileTreeSink {

  private static final int KEEP_CONTENT_UP_TO = 1 << 16;

  enum Kind { DIRECTORY, FILE, SYMLINK, SPECIAL }

  static final class Node {
    final Kind kind;
    final FileMeta meta;
    final byte[] content;
    final Digest digest;
    final long size;
    final String target;
    final SpecialType specialType;
    final int major;
    final int minor;

    Node(Kind kind, FileMeta meta, byte[] content, Digest digest, long size, String target, SpecialType specialType,
        int major, int minor) {
      this.kind = kind;
      this.meta = meta;
      this.content = content;
      this.digest = digest;
      this.size = size;
      this.target = target;
      this.specialType = specialType;
      this.major = major;
      this.minor = minor;
    }

    String text() {
      return new String(content, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  final Map<String, Node> nodes = new TreeMap<>();

  RecordingSink() {
    nodes.put("/", dir(FileMeta.of(0755, Instant.EPOCH)));
  }

  private static Node dir(FileMeta meta) {
    return new Node(Kind.DIRECTORY, meta, null, null, 0, null, null, 0, 0);
  }

  Node get(String path) {
    return nodes.get(path);
  }

  private static String norm(String path) {
    String p = LayerApplier.normalize(path, path, "sink");
    return p;
  }

  private void parents(String path) {
    String parent = LayerApplier.parent(path);
    if (!parent.equals(path) && !nodes.containsKey(parent)) {
      parents(parent);
      nodes.put(parent, dir(FileMeta.of(0755, Instant.EPOCH)));
    } else if (nodes.containsKey(parent) && nodes.get(parent).kind != Kind.DIRECTORY) {
      remove(parent);
      parents(parent);
      nodes.put(parent, dir(FileMeta.of(0755, Instant.EPOCH)));
    }
  }

  private void replace(String path, Node node) {
    Node old = nodes.get(path);
    if (old != null && old.kind == Kind.DIRECTORY && node.kind == Kind.DIRECTORY) {
      nodes.put(path, node);
      return;
    }
    remove(path);
    parents(path);
    nodes.put(path, node);
  }

  @Override
  public void directory(String path, FileMeta meta) {
    replace(norm(path), dir(meta));
  }

  @Override
  public void regularFile(String path, FileMeta meta, long size, InputStream content) throws IOException {
    MessageDigest sha = Digest.newSha256();
    java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[65536];
    long total = 0;
    while (total < size) {
      int n = content.read(buffer, 0, (int) Math.min(buffer.length, size - total));
      if (n < 0) {
        throw new IOException("content of " + path + " ended after " + total + " of " + size + " bytes");
      }
      sha.update(buffer, 0, n);
      if (total < KEEP_CONTENT_UP_TO) {
        kept.write(buffer, 0, n);
      }
      total += n;
    }
    replace(norm(path), new Node(Kind.FILE, meta, size <= KEEP_CONTENT_UP_TO ? kept.toByteArray() : null,
        Digest.of(sha), size, null, null, 0, 0));
  }

  @Override
  public void symlink(String path, String target, FileMeta meta) {
    replace(norm(path), new Node(Kind.SYMLINK, meta, null, null, 0, target, null, 0, 0));
  }

  @Override
  public void hardLink(String path, String existingPath) throws IOException {
    Node existing = nodes.get(norm(existingPath));
    if (existing == null || existing.kind == Kind.DIRECTORY) {
      throw new IOException("hard link target " + existingPath + " missing or a directory");
    }
    replace(norm(path), existing);
  }

  @Override
  public void special(String path, SpecialType type, int major, int minor, FileMeta meta) {
    replace(norm(path), new Node(Kind.SPECIAL, meta, null, null, 0, null, type, major, minor));
  }

  @Override
  public void remove(String path) {
    String p = norm(path);
    if (p.equals("/")) {
      throw new IllegalArgumentException("cannot remove the root");
    }
    nodes.remove(p);
    nodes.keySet().removeIf(k -> k.startsWith(p + "/"));
  }

  @Override
  public void clearDirectory(String path) {
    String p = norm(path);
    String prefix = p.equals("/") ? "/" : p + "/";
    nodes.keySet().removeIf(k -> !k.equals(p) && k.startsWith(prefix));
  }
}
