package dev.linux.env.image;

import dev.linux.env.fs.FileMeta;
import dev.linux.env.fs.FileTreeSink;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies one uncompressed tar stream to a {@link FileTreeSink}, entry by entry, never holding file
 * content in memory.
 *
 * <p>Paths are normalised against the root; an entry, or a hard link target, that climbs above
 * the root with {@code ..} is rejected, and so is the whole layer. Hard link targets are relative
 * to the root even when written absolute. Symlink targets are stored verbatim: they are resolved
 * inside the guest, never here.
 *
 * <p>With whiteouts on (image layers), {@code .wh.NAME} removes {@code NAME} from the layers below
 * and {@code .wh..wh..opq} empties its directory; other {@code .wh..wh.*} names (aufs bookkeeping)
 * are dropped. With whiteouts off (rootfs tarballs) such names are ordinary files.
 */
public final class LayerApplier {

  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";

  /** What to do with whiteout entries. */
  public enum Whiteouts {
    /** Image layers: whiteouts delete from the layers below. */
    APPLY,
    /** Rootfs tarballs: whiteout names are ordinary files. */
    KEEP
  }

  private final FileTreeSink sink;
  private final Whiteouts whiteouts;

  public LayerApplier(FileTreeSink sink, Whiteouts whiteouts) {
    this.sink = sink;
    this.whiteouts = whiteouts;
  }

  /**
   * Applies the tar in {@code tar} (already decompressed).
   *
   * @param what names the layer in error messages, e.g. {@code "layer sha256:…"}
   * @return the number of entries applied
   * @throws ImageException for unsafe, malformed or truncated archives
   * @throws OutOfOrderWhiteout if a whiteout follows entries it must not hide (an opaque whiteout
   *     after entries of its directory, {@code .wh.NAME} after {@code NAME} or entries below it) in
   *     the same layer; the caller re-applies the layer with {@link #applyWhiteoutsFirst}
   */
  public long apply(InputStream tar, String what) throws IOException {
    return applyEntries(tar, what, Pass.SINGLE);
  }

  /**
   * Reads the layer once to collect and apply its whiteouts, then re-reads it (from a second
   * stream) to apply everything else. For layers whose opaque whiteouts come after their
   * siblings; the OCI spec says whiteouts only affect lower layers, whatever their position.
   */
  public long applyWhiteoutsFirst(InputStream firstPass, InputStream secondPass, String what) throws IOException {
    applyEntries(firstPass, what, Pass.WHITEOUTS_ONLY);
    return applyEntries(secondPass, what, Pass.ENTRIES_ONLY);
  }

  private enum Pass { SINGLE, WHITEOUTS_ONLY, ENTRIES_ONLY }

  private long applyEntries(InputStream tar, String what, Pass pass) throws IOException {
    TarReader reader = new TarReader(tar, what);
    Set<String> dirsWithEntries = new HashSet<>();
    Set<String> applied = new HashSet<>();
    long count = 0;
    for (TarEntry entry = reader.next(); entry != null; entry = reader.next()) {
      String path = normalize(entry.name(), entry.name(), what);
      String base = baseName(path);
      if (whiteouts == Whiteouts.APPLY && base.startsWith(WHITEOUT_PREFIX)) {
        if (pass != Pass.ENTRIES_ONLY) {
          applyWhiteout(entry, path, base, what, pass == Pass.SINGLE ? dirsWithEntries : Set.of(),
              pass == Pass.SINGLE ? applied : Set.of());
          count++;
        }
        continue;
      }
      if (pass == Pass.WHITEOUTS_ONLY) {
        continue;
      }
      if (pass == Pass.SINGLE) {
        for (String dir = parent(path); dirsWithEntries.add(dir) && !dir.equals("/"); dir = parent(dir)) {
          // record every ancestor once
        }
        applied.add(path);
      }
      applyEntry(reader, entry, path, what);
      count++;
    }
    return count;
  }

  private void applyWhiteout(TarEntry entry, String path, String base, String what, Set<String> dirsWithEntries,
      Set<String> applied) throws IOException {
    String dir = parent(path);
    if (base.equals(OPAQUE)) {
      if (dirsWithEntries.contains(dir)) {
        throw new OutOfOrderWhiteout(what + ": opaque whiteout for '" + dir + "' follows entries of that directory");
      }
      sink.clearDirectory(dir);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
      return; // aufs metadata (.wh..wh.plnk, .wh..wh.aufs): meaningless here
    }
    String name = base.substring(WHITEOUT_PREFIX.length());
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new ImageException(what + ": entry '" + entry.name() + "' is not a valid whiteout");
    }
    String target = dir.equals("/") ? "/" + name : dir + "/" + name;
    if (applied.contains(target) || dirsWithEntries.contains(target)) {
      // the whiteout may only hide lower layers, not what this layer already put there
      throw new OutOfOrderWhiteout(what + ": whiteout for '" + target + "' follows entries at or below it");
    }
    sink.remove(target);
  }

  private void applyEntry(TarReader reader, TarEntry entry, String path, String what) throws IOException {
    switch (entry.type()) {
      case DIRECTORY -> sink.directory(path, meta(entry, what));
      case FILE -> sink.regularFile(path, meta(entry, what), entry.size(), reader.content());
      case SYMLINK -> {
        if (entry.linkName().isEmpty()) {
          throw new ImageException(what + ": symlink '" + entry.name() + "' has an empty target");
        }
        sink.symlink(path, entry.linkName(), meta(entry, what));
      }
      case HARD_LINK -> {
        String target = normalize(entry.linkName(), entry.name(), what);
        if (target.equals("/")) {
          throw new ImageException(what + ": hard link '" + entry.name() + "' points at the root directory");
        }
        sink.hardLink(path, target);
      }
      case CHARACTER_DEVICE -> sink.special(path, FileTreeSink.SpecialType.CHARACTER_DEVICE,
          entry.devMajor(), entry.devMinor(), meta(entry, what));
      case BLOCK_DEVICE -> sink.special(path, FileTreeSink.SpecialType.BLOCK_DEVICE,
          entry.devMajor(), entry.devMinor(), meta(entry, what));
      case FIFO -> sink.special(path, FileTreeSink.SpecialType.FIFO, 0, 0, meta(entry, what));
    }
  }

  private static FileMeta meta(TarEntry entry, String what) {
    try {
      return new FileMeta(entry.mode(), entry.uid(), entry.gid(), entry.mtime(), entry.atime(), entry.ctime(),
          entry.xattrs());
    } catch (IllegalArgumentException e) {
      throw new ImageException(what + ": entry '" + entry.name() + "': " + e.getMessage());
    }
  }

  /**
   * Normalises a tar path to {@code /a/b} form ({@code /} for the root itself).
   *
   * @param entryName the entry being applied, for the error message
   * @throws ImageException if {@code ..} climbs above the root
   */
  static String normalize(String name, String entryName, String what) {
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          throw new ImageException(what + ": entry '" + entryName + "' escapes the root"
              + (name.equals(entryName) ? "" : " (link target '" + name + "')"));
        }
        parts.removeLast();
      } else {
        parts.add(part);
      }
    }
    return "/" + String.join("/", parts);
  }

  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  private static String baseName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** An opaque whiteout came after entries it must not hide; re-apply whiteouts first. */
  public static final class OutOfOrderWhiteout extends ImageException {

    private static final long serialVersionUID = 1L;
    OutOfOrderWhiteout(String message) {
      super(message);
    }
  }
}
