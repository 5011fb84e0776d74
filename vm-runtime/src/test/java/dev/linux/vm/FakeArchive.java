package dev.linux.vm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** A Debian archive in memory, served through {@link ArchiveTransport}; and .deb files built in tests. */
final class FakeArchive implements ArchiveTransport {
  static final String BASE = "http://archive.test/debian/";

  final Map<URI, byte[]> files = new HashMap<>();
  final List<URI> requests = new ArrayList<>();
  boolean unreachable;

  @Override
  public Download open(URI uri) throws IOException {
    requests.add(uri);
    if (unreachable) {
      throw new IOException(uri + ": connection refused", new java.net.ConnectException("Connection refused"));
    }
    byte[] data = files.get(uri);
    if (data == null) {
      throw new FileNotFoundException(uri.toString());
    }
    return new Download(new ByteArrayInputStream(data), data.length);
  }

  /** Publishes suite {@code suite} of {@code arch} with these Packages paragraphs (xz-compressed). */
  void suite(String suite, String arch, String packages) throws IOException {
    byte[] index = xz(packages.getBytes(StandardCharsets.UTF_8));
    String path = "main/binary-" + arch + "/Packages.xz";
    files.put(URI.create(BASE + "dists/" + suite + "/" + path), index);
    String release = "Origin: Debian\nSuite: " + suite + "\nArchitectures: amd64 arm64\nComponents: main\n"
        + "SHA256:\n " + sha256(index) + " " + index.length + " " + path + "\n";
    files.put(URI.create(BASE + "dists/" + suite + "/InRelease"), clearSign(release));
  }

  /** Publishes a .deb at {@code filename} and returns its Packages paragraph. */
  String deb(String name, String version, String depends, String filename, byte[] deb) {
    files.put(URI.create(BASE + filename), deb);
    return "Package: " + name + "\nVersion: " + version + "\nArchitecture: amd64\n"
        + (depends.isEmpty() ? "" : "Depends: " + depends + "\n")
        + "Filename: " + filename + "\nSize: " + deb.length + "\nSHA256: " + sha256(deb) + "\n"
        + "Description: test\n multi-line\n .\n description\n\n";
  }

  static byte[] clearSign(String body) {
    StringBuilder s = new StringBuilder("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n");
    for (String line : body.lines().toList()) {
      s.append(line.startsWith("-") ? "- " + line : line).append('\n');
    }
    s.append("-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n");
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  static AptSources.Source source(String suite) {
    return new AptSources.Source(URI.create(BASE), suite, List.of("main"), List.of(), java.util.Optional.empty());
  }

  /** A kernel .deb: vmlinuz, a module and a {@code build} link out of the tree. */
  static byte[] kernelDeb(String version) throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("./boot/vmlinuz-" + version, "kernel " + version);
    files.put("./boot/config-" + version, "CONFIG_VIRTIO=m");
    files.put("./lib/modules/" + version + "/modules.builtin", "");
    files.put("./lib/modules/" + version + "/kernel/drivers/virtio/virtio.ko", "module");
    files.put("./usr/share/doc/linux-image/changelog", "doc");
    return deb(tar(files, java.util.Collections.singletonList(new String[] {"./lib/modules/" + version + "/build", "/usr/src/linux-headers"})));
  }

  /** data.tar.xz of regular files (and symbolic links: name, target). */
  static byte[] tar(Map<String, String> files, List<String[]> links) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (XZOutputStream xz = new XZOutputStream(bytes, new LZMA2Options(1));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(xz)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> f : files.entrySet()) {
        byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey(), true);
        e.setSize(data.length);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
      for (String[] link : links) {
        TarArchiveEntry e = new TarArchiveEntry(link[0], TarArchiveEntry.LF_SYMLINK, true);
        e.setLinkName(link[1]);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A .deb around a data.tar.xz. */
  static byte[] deb(byte[] dataTarXz) {
    return ar(new LinkedHashMap<>(Map.of(
        "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII))),
        "control.tar.xz", new byte[] {1, 2, 3}, "data.tar.xz", dataTarXz);
  }

  /** An ar archive: the members of {@code first}, then name/data pairs. */
  static byte[] ar(Map<String, byte[]> first, Object... more) {
    Map<String, byte[]> members = new LinkedHashMap<>(first);
    for (int i = 0; i < more.length; i += 2) {
      members.put((String) more[i], (byte[]) more[i + 1]);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("!<arch>\n".getBytes(StandardCharsets.US_ASCII));
    for (Map.Entry<String, byte[]> m : members.entrySet()) {
      String header = String.format("%-16s%-12s%-6s%-6s%-8s%-10s`\n", m.getKey(), "0", "0", "0", "100644",
          m.getValue().length);
      out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(m.getValue());
      if (m.getValue().length % 2 == 1) {
        out.write('\n');
      }
    }
    return out.toByteArray();
  }

  static byte[] xz(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (XZOutputStream xz = new XZOutputStream(bytes, new LZMA2Options(1))) {
      xz.write(data);
    }
    return bytes.toByteArray();
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
