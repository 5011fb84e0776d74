package dev.linux.vm;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds the guest's init filesystem: {@code /init} (vminitd), the kernel modules it loads, flat in
 * {@code /lib/modules}, and {@code /lib/modules/load.order} naming them in dependency order (the
 * layout vminitd expects). Nothing else: no shell, no libc. vminitd is the build for the kernel's
 * architecture ({@link GuestKernel#architecture()}). The result is cached under
 * {@code DATA/initramfs/} per kernel version, vminitd and module set.
 */
public final class InitramfsBuilder {
  /** The drivers an environment's VM uses; those this kernel lacks are skipped. */
  public static final List<String> DEFAULT_MODULES =
      List.of(
          "virtio_mmio",
          "virtio_blk",
          "virtio_console",
          "virtio_rng",
          "virtio_balloon",
          "virtio_net",
          "fuse",
          "virtiofs");

  /** vminitd for each guest architecture: this prefix + {@link Architecture#goArch()}. */
  static final String VMINITD_RESOURCE = "/dev/linux/guest/vminitd-";
  /** Bump when the layout written here changes, so cached images are rebuilt. */
  private static final String LAYOUT_VERSION = "1";

  /** Supplies the vminitd binary for a guest architecture. */
  interface BinarySource {
    byte[] read(Architecture arch) throws IOException;
  }

  private final Path cacheDir;
  private final Consumer<String> progress;
  private final BinarySource vminitd;

  /**
   * @param dataDir the data directory; images are cached in its {@code initramfs/} directory
   * @param progress receives one-line progress and notice messages
   */
  public InitramfsBuilder(Path dataDir, Consumer<String> progress) {
    this(dataDir, progress, InitramfsBuilder::vminitdFromClasspath);
  }

  InitramfsBuilder(Path dataDir, Consumer<String> progress, BinarySource vminitd) {
    this.cacheDir = dataDir.toAbsolutePath().resolve("initramfs");
    this.progress = Objects.requireNonNull(progress);
    this.vminitd = Objects.requireNonNull(vminitd);
  }

  /** The initramfs for {@code kernel} with the {@link #DEFAULT_MODULES}, built if not cached. */
  public Path ensure(GuestKernel kernel) throws IOException {
    return ensure(kernel, DEFAULT_MODULES);
  }

  /** The initramfs for {@code kernel} with {@code modules} (and what they need), built if not cached. */
  public Path ensure(GuestKernel kernel, List<String> modules) throws IOException {
    byte[] init = vminitd.read(kernel.architecture());
    String key = cacheKey(kernel, modules, init);
    Path target = cacheDir.resolve(kernel.version() + "-" + key + ".cpio");
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(cacheDir);
    Path temp = Files.createTempFile(cacheDir, ".initramfs-", ".tmp");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
        write(kernel, modules, init, out);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    removeStale(kernel.version(), target);
    return target;
  }

  /** Writes the archive; the caller owns {@code out}. */
  void write(GuestKernel kernel, List<String> modules, byte[] init, OutputStream out)
      throws IOException {
    KernelModules.Resolution resolution = KernelModules.load(kernel.modulesDir()).resolve(modules);
    if (!resolution.missing().isEmpty()) {
      progress.accept(
          "kernel " + kernel.version() + " has no module " + String.join(", ", resolution.missing())
              + "; skipped");
    }
    CpioWriter cpio = new CpioWriter(out);
    // The kernel opens /dev/console for init's stdio before init runs: the node must exist.
    cpio.directory("dev", 0755);
    cpio.characterDevice("dev/console", 0600, 5, 1);
    cpio.directory("proc", 0755);
    cpio.directory("sys", 0755);
    cpio.file("init", 0755, init);
    cpio.directory("lib", 0755);
    cpio.directory("lib/modules", 0755);
    List<String> names = new ArrayList<>();
    for (String path : resolution.loadOrder()) {
      String file = path.substring(path.lastIndexOf('/') + 1);
      if (!file.endsWith(".ko")) {
        throw new IOException(
            "kernel module " + path + " is compressed ("
                + file.substring(file.indexOf(".ko") + 3)
                + "); only plain .ko modules are supported so far");
      }
      Path source = kernel.modulesDir().resolve(path);
      try (InputStream in = Files.newInputStream(source)) {
        cpio.file("lib/modules/" + file, 0644, Files.size(source), in);
      }
      names.add(file);
    }
    StringBuilder order = new StringBuilder();
    names.forEach(n -> order.append(n).append('\n'));
    cpio.file("lib/modules/load.order", 0644, order.toString().getBytes(StandardCharsets.UTF_8));
    cpio.finish();
  }

  private static String cacheKey(GuestKernel kernel, List<String> modules, byte[] init) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(init);
      String meta = LAYOUT_VERSION + "\n" + kernel.version() + "\n" + kernel.modulesDir() + "\n"
          + String.join(",", modules);
      sha.update(meta.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void removeStale(String version, Path keep) throws IOException {
    try (Stream<Path> files = Files.list(cacheDir)) {
      for (Path p : files.toList()) {
        String n = p.getFileName().toString();
        if (!p.equals(keep) && n.startsWith(version + "-") && n.endsWith(".cpio")) {
          // A VM may still be booting from it; on Linux the open file survives the unlink.
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static byte[] vminitdFromClasspath(Architecture arch) throws IOException {
    String resource = VMINITD_RESOURCE + arch.goArch();
    try (InputStream in = InitramfsBuilder.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(
            "vminitd for " + arch.platform() + " is missing from the classpath (resource " + resource
                + " of guest-init): build guest-init with Go available");
      }
      return in.readAllBytes();
    }
  }
}
