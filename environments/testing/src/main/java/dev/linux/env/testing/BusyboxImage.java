package dev.linux.env.testing;

import dev.linux.env.image.ImageException;
import dev.linux.env.image.Platform;
import dev.linux.env.image.OciLayoutWriter;
import dev.linux.env.image.ImageConfig;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.Compression;
import dev.linux.env.image.CommandRunner;
import dev.linux.env.fs.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds a tiny test image: one layer with Debian's statically linked busybox at
 * {@code /bin/busybox}, symlinks for the common applets, {@code /etc/passwd} and {@code /etc/group}
 * for root, {@code /tmp} (1777), {@code /root} and empty mount points. Integration tests in
 * every module boot it; it is built from the host's {@code busybox-static} package, never
 * downloaded from an image hub. All timestamps are fixed, so the same busybox gives the same
 * digests.
 */
public final class BusyboxImage {

  /** The tag tests use. */
  public static final String DEFAULT_TAG = "busybox:static";

  /** Applets linked into {@code /bin}. */
  public static final List<String> APPLETS = List.of(
      "sh", "ash", "cat", "uname", "ls", "echo", "stty", "sleep", "sync", "mkdir", "rm", "rmdir", "id", "env",
      "true", "false", "head", "tail", "dd", "sha256sum", "wc", "kill", "ps", "mount", "umount", "cp", "mv",
      "ln", "chmod", "chown", "touch", "grep", "sed", "printf", "test", "[", "pwd", "hostname", "date", "df",
      "du", "stat", "tr", "cut", "sort", "uniq", "xargs", "find", "vi", "ip", "ping", "wget", "tee", "seq",
      "whoami", "basename", "dirname", "readlink", "realpath", "mktemp", "yes", "free", "uptime", "dmesg", "nproc",
      "md5sum", "tar", "gzip", "gunzip", "less", "which", "timeout", "nc", "ifconfig", "route", "hexdump", "od",
      "httpd", "pidof");

  private static final Instant MTIME = Instant.parse("2024-01-01T00:00:00Z");
  private static final Path HOST_BUSYBOX = Path.of("/bin/busybox");
  private static final int PT_INTERP = 3;

  private BusyboxImage() {}

  /** Builds the image into the layout at {@code layoutDir} and tags it; returns the manifest descriptor. */
  public static Descriptor build(Path layoutDir, String tag) throws IOException {
    Path scratch = Files.createTempDirectory("busybox-image-");
    try {
      return build(layoutDir, tag, staticBusybox(CommandRunner.system(), scratch));
    } finally {
      FileTrees.delete(scratch);
    }
  }

  /** Builds the image around a given static busybox binary. */
  public static Descriptor build(Path layoutDir, String tag, Path busybox) throws IOException {
    if (!isStaticElf(busybox)) {
      throw new ImageException(busybox + " is not a statically linked ELF executable");
    }
    OciLayoutWriter writer = OciLayoutWriter.open(layoutDir);
    Path tar = Files.createTempFile(layoutDir, ".busybox-layer-", ".tar");
    try {
      try (OutputStream out = Files.newOutputStream(tar)) {
        writeLayer(busybox, out);
      }
      OciLayoutWriter.LayerBlob layer;
      try (InputStream in = Files.newInputStream(tar)) {
        layer = writer.addLayer(in, Compression.GZIP);
      }
      Platform platform = Platform.host();
      Descriptor config = writer.writeConfig(ImageConfig.of(platform, List.of("/bin/sh")), List.of(layer.diffId()));
      Descriptor manifest = writer.writeManifest(config, List.of(layer.descriptor()));
      writer.tag(manifest, tag, platform);
      return manifest;
    } finally {
      Files.deleteIfExists(tar);
    }
  }

  /**
   * The host's static busybox: {@code /bin/busybox} if it is static, else the one in the
   * {@code busybox-static} package, fetched with {@code apt-get download} and unpacked with
   * {@code dpkg -x} into {@code scratch}.
   */
  public static Path staticBusybox(CommandRunner runner, Path scratch) throws IOException {
    if (Files.isRegularFile(HOST_BUSYBOX) && isStaticElf(HOST_BUSYBOX)) {
      return HOST_BUSYBOX;
    }
    Duration timeout = Duration.ofMinutes(5);
    runner.run(List.of("apt-get", "download", "busybox-static"), scratch, scratch.resolve("apt-get.log"), timeout);
    Path deb;
    try (Stream<Path> files = Files.list(scratch)) {
      deb = files.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
          .orElseThrow(() -> new ImageException("apt-get download busybox-static produced no .deb"));
    }
    Path root = scratch.resolve("root");
    runner.run(List.of("dpkg", "-x", deb.toString(), root.toString()), scratch, scratch.resolve("dpkg.log"), timeout);
    for (String candidate : List.of("bin/busybox", "usr/bin/busybox")) {
      Path busybox = root.resolve(candidate);
      if (Files.isRegularFile(busybox) && isStaticElf(busybox)) {
        return busybox;
      }
    }
    throw new ImageException("the busybox-static package holds no static busybox");
  }

  /** Whether {@code file} is an ELF executable without a {@code PT_INTERP} program header. */
  public static boolean isStaticElf(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file)) {
      ByteBuffer ident = ByteBuffer.allocate(64);
      channel.read(ident, 0);
      byte[] h = ident.array();
      if (ident.position() < 52 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') {
        return false;
      }
      boolean is64 = h[4] == 2;
      ByteBuffer header = ByteBuffer.wrap(h).order(h[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long phoff = is64 ? header.getLong(0x20) : header.getInt(0x1c) & 0xffffffffL;
      int phentsize = header.getShort(is64 ? 0x36 : 0x2a) & 0xffff;
      int phnum = header.getShort(is64 ? 0x38 : 0x2c) & 0xffff;
      if (phnum == 0 || phentsize < 4) {
        return false;
      }
      ByteBuffer table = ByteBuffer.allocate(phnum * phentsize).order(header.order());
      if (channel.read(table, phoff) < table.capacity()) {
        return false;
      }
      for (int i = 0; i < phnum; i++) {
        if (table.getInt(i * phentsize) == PT_INTERP) {
          return false;
        }
      }
      return true;
    }
  }

  /** Writes the layer tar (uncompressed). */
  static void writeLayer(Path busybox, OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    for (String dir : List.of("bin", "dev", "etc", "proc", "run", "sys", "usr", "usr/bin", "var")) {
      directory(tar, dir, 0755);
    }
    directory(tar, "root", 0700);
    directory(tar, "tmp", 01777);
    TarArchiveEntry binary = entry("bin/busybox", TarConstants.LF_NORMAL, 0755);
    binary.setSize(Files.size(busybox));
    tar.putArchiveEntry(binary);
    Files.copy(busybox, tar);
    tar.closeArchiveEntry();
    for (String applet : APPLETS) {
      TarArchiveEntry link = entry("bin/" + applet, TarConstants.LF_SYMLINK, 0777);
      link.setLinkName("busybox");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
    }
    file(tar, "etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n");
    file(tar, "etc/group", 0644, "root:x:0:\n");
    file(tar, "etc/hostname", 0644, "busybox\n");
    tar.finish();
    tar.flush();
  }

  private static void directory(TarArchiveOutputStream tar, String path, int mode) throws IOException {
    tar.putArchiveEntry(entry(path + "/", TarConstants.LF_DIR, mode));
    tar.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream tar, String path, int mode, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = entry(path, TarConstants.LF_NORMAL, mode);
    e.setSize(bytes.length);
    tar.putArchiveEntry(e);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry entry(String path, byte type, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(path, type);
    e.setMode(mode);
    e.setIds(0, 0);
    e.setNames("root", "root");
    e.setModTime(java.util.Date.from(MTIME));
    return e;
  }
}
