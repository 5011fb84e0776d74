package dev.linux.env.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds tar archives in memory with commons-compress (an implementation independent of ours). */
final class TarBuilder {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final TarArchiveOutputStream tar;

  TarBuilder() {
    tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
  }

  static TarBuilder gnu() {
    TarBuilder b = new TarBuilder();
    b.tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
    b.tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
    return b;
  }

  TarBuilder dir(String name, int mode) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
    e.setMode(mode);
    return add(e, null);
  }

  TarBuilder file(String name, int mode, String content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
    e.setMode(mode);
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    e.setSize(data.length);
    return add(e, data);
  }

  TarBuilder symlink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
    e.setLinkName(target);
    e.setMode(0777);
    return add(e, null);
  }

  TarBuilder hardLink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
    e.setLinkName(target);
    e.setMode(0644);
    return add(e, null);
  }

  TarBuilder add(TarArchiveEntry entry, byte[] data) throws IOException {
    tar.putArchiveEntry(entry);
    if (data != null) {
      tar.write(data);
    }
    tar.closeArchiveEntry();
    return this;
  }

  byte[] build() throws IOException {
    tar.finish();
    tar.close();
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
