package dev.linux.vm;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Reads a Debian package archive over HTTP the way apt does, without apt: a suite's {@code
 * InRelease} (or {@code Release}), signature-checked with {@code gpgv} where it and a keyring are
 * available, then the {@code main/binary-ARCH/Packages.xz} (or {@code .gz}) index it lists, whose
 * SHA256 must match; and finally single {@code .deb} files, whose SHA256 must match the index.
 */
final class DebianArchive {

  /** One package of a {@code Packages} index and where it came from. */
  record PackageEntry(
      String name, String version, String depends, String filename, String sha256, long size,
      AptSources.Source source) {
    /** The .deb's address. */
    URI uri() {
      return source.uri().resolve(filename);
    }
  }

  /** Checks a Release file's signature (see {@link ReleaseSignature}). */
  interface SignatureCheck {
    /**
     * @param inRelease the clear-signed InRelease file, or the Release file when {@code detached}
     *     holds its separate signature
     * @throws IOException when the signature is bad (not when it cannot be checked)
     */
    void verify(AptSources.Source source, Path inRelease, Optional<Path> detached)
        throws IOException, InterruptedException;
  }

  private static final String COMPONENT = "main";

  private final ArchiveTransport transport;
  private final SignatureCheck signatures;
  private final Consumer<String> progress;

  DebianArchive(ArchiveTransport transport, SignatureCheck signatures, Consumer<String> progress) {
    this.transport = transport;
    this.signatures = signatures;
    this.progress = progress;
  }

  /**
   * The packages of {@code source}'s {@code main} component for {@code arch} whose names {@code
   * wanted} accepts; none when the suite does not hold that architecture.
   *
   * @throws IOException when the archive cannot be read, a signature is bad or a checksum differs
   */
  List<PackageEntry> packages(AptSources.Source source, Architecture arch, Predicate<String> wanted,
      Path scratch) throws IOException, InterruptedException {
    ReleaseFile release = release(source, scratch);
    if (!release.architectures().isEmpty() && !release.architectures().contains(arch.debianName())) {
      return List.of();
    }
    String dir = COMPONENT + "/binary-" + arch.debianName() + "/";
    for (String name : List.of("Packages.xz", "Packages.gz", "Packages")) {
      Optional<ReleaseFile.Checksum> sum = release.checksum(dir + name);
      if (sum.isPresent()) {
        // By hash first (apt's Acquire-By-Hash): the index named by the Release file's checksum,
        // which an archive or a proxy in the middle of an update still serves unchanged; the
        // plain name where the archive has no by-hash directory.
        try {
          return index(source, dir + "by-hash/SHA256/" + sum.get().sha256(), name, sum.get(), wanted);
        } catch (FileNotFoundException noByHash) {
          return index(source, dir + name, name, sum.get(), wanted);
        }
      }
    }
    return List.of(); // the suite has no main component for this architecture
  }

  private ReleaseFile release(AptSources.Source source, Path scratch)
      throws IOException, InterruptedException {
    Path inRelease = scratch.resolve("InRelease");
    try {
      fetch(source.dists().resolve("InRelease"), inRelease);
      signatures.verify(source, inRelease, Optional.empty());
      return ReleaseFile.parse(Files.readString(inRelease, StandardCharsets.UTF_8), source + " InRelease");
    } catch (FileNotFoundException e) {
      Path release = scratch.resolve("Release");
      fetch(source.dists().resolve("Release"), release);
      Path signature = scratch.resolve("Release.gpg");
      try {
        fetch(source.dists().resolve("Release.gpg"), signature);
        signatures.verify(source, release, Optional.of(signature));
      } catch (FileNotFoundException unsigned) {
        signatures.verify(source, release, Optional.empty());
      }
      return ReleaseFile.parse(Files.readString(release, StandardCharsets.UTF_8), source + " Release");
    }
  }

  private List<PackageEntry> index(AptSources.Source source, String path, String fileName,
      ReleaseFile.Checksum expected, Predicate<String> wanted)
      throws IOException, InterruptedException {
    URI uri = source.dists().resolve(path);
    progress.accept("reading the package index " + uri + " (" + megabytes(expected.size()) + ")");
    List<PackageEntry> found = new ArrayList<>();
    MessageDigest sha = sha256();
    try (ArchiveTransport.Download download = open(uri);
        CountingStream counted = new CountingStream(new DigestInputStream(download.body(), sha))) {
      InputStream text =
          fileName.endsWith(".xz") ? new XZInputStream(counted)
              : fileName.endsWith(".gz") ? new GZIPInputStream(counted, 1 << 16)
              : counted;
      try {
        ControlStanza.forEach(
            new BufferedReader(new InputStreamReader(text, StandardCharsets.UTF_8), 1 << 16),
            p -> {
              String name = p.value("Package");
              if (wanted.test(name)) {
                found.add(new PackageEntry(name, p.value("Version"), p.value("Depends"),
                    p.value("Filename"), p.value("SHA256").toLowerCase(java.util.Locale.ROOT),
                    parseSize(p.value("Size")), source));
              }
            });
      } catch (IOException e) {
        throw new IOException(uri + ": unreadable index (" + e.getMessage() + ")", e);
      }
      counted.transferTo(java.io.OutputStream.nullOutputStream());
      String actual = HexFormat.of().formatHex(sha.digest());
      if (counted.count != expected.size() || !actual.equals(expected.sha256())) {
        throw new IOException(uri + ": checksum mismatch (SHA256 " + actual + ", " + counted.count
            + " bytes; the Release file says " + expected.sha256() + ", " + expected.size()
            + " bytes); the archive may be updating, try again later");
      }
    }
    return found;
  }

  /**
   * Downloads {@code entry}'s .deb to {@code target}, reporting progress, and refuses it (deleting
   * what arrived) unless its size and SHA256 match the index.
   */
  void download(PackageEntry entry, Path target) throws IOException, InterruptedException {
    URI uri = entry.uri();
    if (entry.sha256().isEmpty()) {
      throw new IOException(entry.name() + ": the package index gives no SHA256; refusing to use it");
    }
    progress.accept("downloading " + entry.name() + " " + entry.version() + " ("
        + megabytes(entry.size()) + ") from " + entry.source().uri());
    MessageDigest sha = sha256();
    Path partial = target.resolveSibling(target.getFileName() + ".part");
    long total = entry.size() > 0 ? entry.size() : -1;
    try (ArchiveTransport.Download download = open(uri);
        InputStream in = new DigestInputStream(download.body(), sha);
        var out = Files.newOutputStream(partial)) {
      byte[] buffer = new byte[1 << 16];
      long done = 0;
      int reported = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        done += n;
        if (total > 0) {
          int quarter = (int) Math.min(4, done * 4 / total);
          if (quarter > reported && quarter < 4) {
            reported = quarter;
            progress.accept("  " + (quarter * 25) + "% of " + entry.name());
          }
        }
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (!actual.equals(entry.sha256()) || (entry.size() > 0 && done != entry.size())) {
        throw new IOException(entry.name() + ": refusing a corrupted download from " + uri + " (SHA256 "
            + actual + ", " + done + " bytes; the index says " + entry.sha256() + ", " + entry.size()
            + " bytes)");
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void fetch(URI uri, Path target) throws IOException, InterruptedException {
    try (ArchiveTransport.Download download = open(uri); InputStream in = download.body()) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private ArchiveTransport.Download open(URI uri) throws IOException, InterruptedException {
    return transport.open(uri);
  }

  static String megabytes(long bytes) {
    return bytes < 0 ? "size unknown" : String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  private static long parseSize(String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Counts the bytes that pass (the index's compressed size). */
  private static final class CountingStream extends java.io.FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[8192];
      long done = 0;
      while (done < n) {
        int r = read(buf, 0, (int) Math.min(buf.length, n - done));
        if (r < 0) {
          break;
        }
        done += r;
      }
      return done;
    }
  }
}
