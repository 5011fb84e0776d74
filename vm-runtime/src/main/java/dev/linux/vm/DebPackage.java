package dev.linux.vm;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Unpacks selected files of a Debian binary package ({@code .deb}: an {@code ar} archive holding
 * {@code debian-binary}, {@code control.tar.*} and {@code data.tar.xz}, {@code .gz} or plain
 * {@code .tar}) in Java, without dpkg. Only entries a filter accepts are written, and only safely:
 * a name that is absolute or climbs out with {@code ..} fails the whole unpack; symbolic links are
 * never created (a kernel package's only ones, {@code build} and {@code source}, point to
 * {@code /usr/src}), so nothing written can land outside {@code root}; hard links are copied from
 * files already unpacked; devices and fifos are skipped. {@code root} must be a fresh directory.
 */
final class DebPackage {
  private DebPackage() {}

  /** What the kernel provisioner needs: the kernel images and the module trees. */
  static final Predicate<String> KERNEL_FILES =
      name -> name.startsWith("boot/vmlinuz-") || name.startsWith("lib/modules/")
          || name.startsWith("usr/lib/modules/");

  /**
   * Writes the entries of {@code deb}'s data archive that {@code wanted} accepts (names relative,
   * without a leading {@code ./}) below {@code root}; returns their names.
   */
  static List<String> extract(Path deb, Path root, Predicate<String> wanted) throws IOException {
    String what = deb.getFileName().toString();
    try (ArReader ar = new ArReader(new BufferedInputStream(Files.newInputStream(deb), 1 << 16), what)) {
      Optional<ArReader.Member> member;
      boolean sawVersion = false;
      while ((member = ar.next()).isPresent()) {
        ArReader.Member m = member.get();
        if (m.name().equals("debian-binary")) {
          String version = new String(m.data().readNBytes(16), java.nio.charset.StandardCharsets.US_ASCII).strip();
          if (!version.startsWith("2.")) {
            throw new IOException(what + ": unsupported .deb format version '" + version + "'");
          }
          sawVersion = true;
        } else if (m.name().startsWith("data.tar")) {
          if (!sawVersion) {
            throw new IOException(what + ": not a .deb (no debian-binary before " + m.name() + ")");
          }
          return untar(decompress(m.name(), m.data(), what), root, wanted, what);
        }
      }
      throw new IOException(what + ": not a .deb (no data.tar member)");
    }
  }

  private static InputStream decompress(String member, InputStream data, String what) throws IOException {
    return switch (member) {
      case "data.tar.xz" -> new XZInputStream(data);
      case "data.tar.gz" -> new GZIPInputStream(data, 1 << 16);
      case "data.tar" -> data;
      default -> throw new IOException(what + ": unsupported compression of " + member
          + " (supported: xz, gzip, none)");
    };
  }

  private static List<String> untar(InputStream tar, Path root, Predicate<String> wanted, String what)
      throws IOException {
    Path base = Files.createDirectories(root).toAbsolutePath().normalize();
    List<String> written = new ArrayList<>();
    TarArchiveInputStream in = new TarArchiveInputStream(tar);
    TarArchiveEntry entry;
    try {
      while ((entry = in.getNextEntry()) != null) {
        String name = relativeName(entry.getName(), what);
        if (name.isEmpty() || !wanted.test(name)) {
          continue;
        }
        Path target = base.resolve(name).normalize();
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isSymbolicLink()) {
          continue; // never created, so no path below root can lead out of it
        } else if (entry.isLink()) {
          String linked = relativeName(entry.getLinkName(), what);
          Path source = base.resolve(linked).normalize();
          if (!Files.isRegularFile(source, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            continue; // its target was not unpacked
          }
          Files.createDirectories(target.getParent());
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
          written.add(name);
        } else if (entry.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          setMode(target, entry.getMode());
          written.add(name);
        }
      }
    } catch (java.io.EOFException e) {
      throw new IOException(what + ": truncated package data (" + e.getMessage() + ")", e);
    } catch (org.tukaani.xz.XZIOException | java.util.zip.ZipException e) {
      throw new IOException(what + ": corrupt package data (" + e.getMessage() + ")", e);
    }
    return written;
  }

  /** The entry's permission bits (no set-id, no sticky bit), where the file system has them. */
  private static void setMode(Path file, int mode) throws IOException {
    java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
        java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
    java.nio.file.attribute.PosixFilePermission[] order = {
      java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE,
      java.nio.file.attribute.PosixFilePermission.OTHERS_READ,
      java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
      java.nio.file.attribute.PosixFilePermission.GROUP_READ,
      java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
      java.nio.file.attribute.PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        perms.add(order[bit]);
      }
    }
    perms.add(java.nio.file.attribute.PosixFilePermission.OWNER_READ);
    perms.add(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    try {
      Files.setPosixFilePermissions(file, perms);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the default permissions stay.
    }
  }

  /**
   * The entry's name relative to the package root ({@code ./boot/x} → {@code boot/x}).
   *
   * @throws IOException for absolute names and names with {@code ..} components
   */
  static String relativeName(String name, String what) throws IOException {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    if (n.equals(".")) {
      return "";
    }
    if (n.startsWith("/")) {
      throw new IOException(what + ": refusing absolute path in package: " + name);
    }
    for (String part : n.split("/")) {
      if (part.equals("..")) {
        throw new IOException(what + ": refusing path that leaves the package root: " + name);
      }
    }
    if (n.contains("\0")) {
      throw new IOException(what + ": refusing path with a NUL byte");
    }
    return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }
}
