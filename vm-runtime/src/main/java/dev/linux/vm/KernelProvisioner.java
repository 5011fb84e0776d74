package dev.linux.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Ensures a guest kernel exists under {@code DATA/kernels/VERSION/{vmlinuz,modules/}}. On
 * Debian-family hosts it takes the distribution's cloud kernel package: {@code apt-get download}
 * and {@code dpkg -x} into a temporary directory (no root, nothing installed), then one atomic
 * rename into place. A kernel already present is reused without touching the network.
 */
public final class KernelProvisioner {
  private static final Pattern DEPENDS = Pattern.compile("Depends:\\s*(linux-image-\\S+)");
  private static final String IMAGE_PREFIX = "linux-image-";

  private final Path kernelsDir;
  private final Consumer<String> progress;
  private final CommandRunner runner;
  private final String osArch;

  /**
   * @param dataDir the data directory ({@code $XDG_DATA_HOME/linux}); kernels go to {@code kernels/}
   * @param progress receives one-line progress and notice messages
   */
  public KernelProvisioner(Path dataDir, Consumer<String> progress) {
    this(dataDir, progress, CommandRunner.system(), System.getProperty("os.arch", ""));
  }

  KernelProvisioner(Path dataDir, Consumer<String> progress, CommandRunner runner, String osArch) {
    this.kernelsDir = dataDir.toAbsolutePath().resolve("kernels");
    this.progress = Objects.requireNonNull(progress);
    this.runner = Objects.requireNonNull(runner);
    this.osArch = Objects.requireNonNull(osArch);
  }

  /** The distribution's cloud kernel meta package for this host's architecture. */
  String metaPackage() throws IOException {
    return switch (osArch) {
      case "amd64", "x86_64" -> "linux-image-cloud-amd64";
      case "aarch64", "arm64" -> "linux-image-cloud-arm64";
      default -> throw new IOException("no guest kernel package known for architecture " + osArch);
    };
  }

  /** The kernel of that version if it is fully in place. */
  public Optional<GuestKernel> installed(String version) {
    Path dir = kernelsDir.resolve(version);
    Path vmlinuz = dir.resolve("vmlinuz");
    Path modules = dir.resolve("modules");
    if (Files.isRegularFile(vmlinuz) && Files.isDirectory(modules)) {
      return Optional.of(new GuestKernel(version, vmlinuz, modules));
    }
    return Optional.empty();
  }

  /**
   * Returns the distribution's current cloud kernel, downloading it first when it is not present.
   * When the package index cannot be asked, the most recently provisioned kernel is used.
   */
  public GuestKernel ensureDistributionKernel() throws IOException, InterruptedException {
    String meta = metaPackage();
    String imagePackage;
    try {
      imagePackage = resolveImagePackage(meta);
    } catch (IOException e) {
      Optional<GuestKernel> fallback = newestInstalled();
      if (fallback.isPresent()) {
        progress.accept(
            "using guest kernel " + fallback.get().version() + " (" + e.getMessage() + ")");
        return fallback.get();
      }
      throw new IOException(
          e.getMessage() + "; no guest kernel is provisioned: name one in the configuration", e);
    }
    String version = imagePackage.substring(IMAGE_PREFIX.length());
    Optional<GuestKernel> present = installed(version);
    if (present.isPresent()) {
      return present.get();
    }
    return download(imagePackage, version);
  }

  private String resolveImagePackage(String meta) throws IOException, InterruptedException {
    CommandRunner.Result result =
        runner.run(List.of("apt-cache", "depends", meta), kernelsDirCreated());
    if (result.exitCode() != 0) {
      throw new IOException("apt-cache depends " + meta + ": " + result.lastErrorLine());
    }
    Matcher m = DEPENDS.matcher(result.stdout());
    if (!m.find()) {
      throw new IOException("apt-cache depends " + meta + ": names no linux-image package");
    }
    return m.group(1);
  }

  private GuestKernel download(String imagePackage, String version)
      throws IOException, InterruptedException {
    progress.accept("downloading guest kernel " + imagePackage);
    Path staging = Files.createTempDirectory(kernelsDirCreated(), ".provision-");
    try {
      Path debDir = Files.createDirectories(staging.resolve("deb"));
      CommandRunner.Result download =
          runner.run(List.of("apt-get", "download", imagePackage), debDir);
      if (download.exitCode() != 0) {
        throw new IOException("apt-get download " + imagePackage + ": " + download.lastErrorLine());
      }
      Path deb = findDeb(debDir, imagePackage);
      Path root = staging.resolve("root");
      CommandRunner.Result unpack =
          runner.run(List.of("dpkg", "-x", deb.toString(), root.toString()), staging);
      if (unpack.exitCode() != 0) {
        throw new IOException("dpkg -x " + deb.getFileName() + ": " + unpack.lastErrorLine());
      }
      Path vmlinuz = root.resolve("boot").resolve("vmlinuz-" + version);
      if (!Files.isRegularFile(vmlinuz)) {
        throw new IOException(imagePackage + " holds no boot/vmlinuz-" + version);
      }
      Path modules = root.resolve("lib/modules").resolve(version);
      if (!Files.isDirectory(modules)) {
        modules = root.resolve("usr/lib/modules").resolve(version);
      }
      if (!Files.isDirectory(modules)) {
        throw new IOException(imagePackage + " holds no lib/modules/" + version);
      }
      Path kernel = Files.createDirectories(staging.resolve("kernel"));
      Files.move(vmlinuz, kernel.resolve("vmlinuz"));
      Files.move(modules, kernel.resolve("modules"));
      Path target = kernelsDir.resolve(version);
      try {
        Files.move(kernel, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // Another process provisioned the same kernel meanwhile: theirs is as good as ours.
      }
      progress.accept("guest kernel " + version + " ready");
      return installed(version)
          .orElseThrow(() -> new IOException("guest kernel " + version + " is incomplete: " + target));
    } finally {
      deleteTree(staging);
    }
  }

  private static Path findDeb(Path dir, String imagePackage) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".deb"))
          .findFirst()
          .orElseThrow(
              () -> new IOException("apt-get download " + imagePackage + ": no .deb file appeared"));
    }
  }

  private Optional<GuestKernel> newestInstalled() throws IOException {
    if (!Files.isDirectory(kernelsDir)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(kernelsDir)) {
      return dirs.filter(p -> !p.getFileName().toString().startsWith("."))
          .map(p -> installed(p.getFileName().toString()))
          .flatMap(Optional::stream)
          .max(Comparator.comparing(k -> lastModified(k.vmlinuz())));
    }
  }

  private static java.nio.file.attribute.FileTime lastModified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path kernelsDirCreated() throws IOException {
    return Files.createDirectories(kernelsDir);
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
