package dev.linux.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Ensures a guest kernel exists under {@code DATA/kernels/VERSION/{vmlinuz,modules/}}: the Debian
 * kernel package of the guest's architecture, fetched straight from a Debian package archive (no
 * apt, no dpkg, no root; the same code on any host) and unpacked in Java into a staging directory,
 * then moved into place with one atomic rename.
 *
 * <p>The archive: the one {@link #ARCHIVE_SETTING} names when set (as {@code URI [SUITE]}, the
 * suite defaulting to {@code stable}), else every suite of the host's apt sources; with neither,
 * the error names the setting. The package: the highest version, across those suites, of {@code
 * linux-image-cloud-ARCH} (the generic {@code linux-image-ARCH} where no cloud flavour exists),
 * followed through its {@code Depends} to the versioned image package. Indexes and the package are
 * checksum-verified (see {@link DebianArchive}). The archive is asked at most once a day: in between,
 * and whenever it cannot be reached, the kernel already provisioned is used.
 */
public final class KernelProvisioner {
  /** The linux.conf key naming a Debian archive (e.g. {@code https://mirror.example.org/debian stable}). */
  public static final String ARCHIVE_SETTING = "kernelArchive";

  /** The environment variable with the same meaning (it wins over the configuration file). */
  public static final String ARCHIVE_VARIABLE = "LINUX_KERNEL_ARCHIVE";

  static final Duration CHECK_INTERVAL = Duration.ofDays(1);
  private static final String IMAGE_PREFIX = "linux-image-";

  private final Path kernelsDir;
  private final Consumer<String> progress;
  private final Architecture arch;
  private final Optional<String> configuredArchive;
  private final Path etcApt;
  private final ArchiveTransport transport;
  private final DebianArchive.SignatureCheck signatures;
  private final Clock clock;

  /**
   * A provisioner for guests of the host's architecture, the archive taken from {@link
   * #ARCHIVE_VARIABLE} or the host's apt sources.
   *
   * @param dataDir the data directory ({@code $XDG_DATA_HOME/linux}); kernels go to {@code kernels/}
   * @param progress receives one-line progress and notice messages
   */
  public KernelProvisioner(Path dataDir, Consumer<String> progress) {
    this(dataDir, progress, Architecture.host(), Optional.empty());
  }

  /**
   * @param arch the guest's architecture
   * @param configuredArchive the {@link #ARCHIVE_SETTING} value of the configuration, if any
   *     ({@link #ARCHIVE_VARIABLE} wins over it)
   */
  public KernelProvisioner(
      Path dataDir, Consumer<String> progress, Architecture arch, Optional<String> configuredArchive) {
    this(dataDir, progress, arch,
        Optional.ofNullable(System.getenv(ARCHIVE_VARIABLE)).filter(v -> !v.isBlank())
            .or(() -> configuredArchive.filter(v -> !v.isBlank())),
        Path.of("/etc/apt"), ArchiveTransport.standard(System.getenv()),
        new ReleaseSignature(Path.of("/etc/apt"), CommandRunner.system(), progress), Clock.systemUTC());
  }

  KernelProvisioner(Path dataDir, Consumer<String> progress, Architecture arch,
      Optional<String> archive, Path etcApt, ArchiveTransport transport,
      DebianArchive.SignatureCheck signatures, Clock clock) {
    this.kernelsDir = dataDir.toAbsolutePath().resolve("kernels");
    this.progress = Objects.requireNonNull(progress);
    this.arch = Objects.requireNonNull(arch);
    this.configuredArchive = Objects.requireNonNull(archive);
    this.etcApt = etcApt;
    this.transport = transport;
    this.signatures = signatures;
    this.clock = clock;
  }

  /**
   * The kernel meta packages to look for, best first. Debian's cloud flavour is built for VMs:
   * virtio block, console, net, rng and balloon are modules in it on amd64 and arm64 alike; the
   * generic flavour has them too (and 9p, which the cloud flavour lacks) at twice the size.
   */
  List<String> metaPackages() {
    return List.of(IMAGE_PREFIX + "cloud-" + arch.debianName(), IMAGE_PREFIX + arch.debianName());
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
   * Returns the distribution's current kernel for the guest architecture, downloading it first
   * when it is not present. When the archive cannot be asked, the most recently provisioned kernel
   * of that architecture is used (with a notice).
   */
  public GuestKernel ensureDistributionKernel() throws IOException, InterruptedException {
    Optional<GuestKernel> recent = recentlyChecked();
    if (recent.isPresent()) {
      return recent.get();
    }
    DebianArchive.PackageEntry image;
    try {
      image = resolveImagePackage();
    } catch (IOException e) {
      Optional<GuestKernel> fallback = newestInstalled();
      if (fallback.isPresent()) {
        progress.accept("using guest kernel " + fallback.get().version() + " (" + e.getMessage() + ")");
        return fallback.get();
      }
      throw e;
    }
    String version = versionOf(image.name());
    GuestKernel kernel = installed(version).isPresent() ? installed(version).get() : download(image, version);
    markChecked(version);
    return kernel;
  }

  /** The archive suites to read: the configured archive, else the host's apt sources. */
  List<AptSources.Source> sources() throws IOException {
    if (configuredArchive.isPresent()) {
      return List.of(parseArchiveSetting(configuredArchive.get()));
    }
    List<AptSources.Source> sources =
        new ArrayList<>(new LinkedHashSet<>(AptSources.read(etcApt).stream()
            .filter(s -> s.components().contains("main")).toList()));
    if (sources.isEmpty()) {
      throw new IOException("no Debian package archive to fetch the guest kernel from: the host has no "
          + "apt sources with a main component; set " + ARCHIVE_SETTING + " in linux.conf (or "
          + ARCHIVE_VARIABLE + "), e.g. 'https://mirror.example.org/debian stable', or name a kernel "
          + "with the 'kernel' setting");
    }
    return sources;
  }

  /** {@code URI [SUITE]}; the suite defaults to {@code stable}. */
  static AptSources.Source parseArchiveSetting(String value) throws IOException {
    String[] words = value.strip().split("\\s+");
    URI uri;
    try {
      uri = URI.create(words[0]);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getScheme() == null || !List.of("http", "https", "file").contains(uri.getScheme())
        || words.length > 2) {
      throw new IOException(ARCHIVE_SETTING + " must be 'URI [SUITE]' with an http, https or file URI, e.g. "
          + "'https://mirror.example.org/debian stable', not '" + value.strip() + "'");
    }
    return new AptSources.Source(uri, words.length == 2 ? words[1] : "stable", List.of("main"), List.of(),
        Optional.empty());
  }

  private DebianArchive.PackageEntry resolveImagePackage() throws IOException, InterruptedException {
    List<AptSources.Source> sources = sources();
    DebianArchive archive = new DebianArchive(transport, signatures, progress);
    List<DebianArchive.PackageEntry> entries = new ArrayList<>();
    List<String> unreachable = new ArrayList<>();
    Path scratch = Files.createTempDirectory(kernelsDirCreated(), ".index-");
    try {
      int i = 0;
      for (AptSources.Source source : sources) {
        Path dir = Files.createDirectories(scratch.resolve(Integer.toString(i++)));
        try {
          entries.addAll(archive.packages(source, arch, n -> n.startsWith(IMAGE_PREFIX), dir));
        } catch (java.io.FileNotFoundException e) {
          unreachable.add(source + ": not found: " + e.getMessage());
        } catch (IOException e) {
          if (isUnreachable(e)) {
            unreachable.add(source + ": " + e.getMessage());
          } else {
            throw e;
          }
        }
      }
    } finally {
      deleteTree(scratch);
    }
    if (entries.isEmpty() && !unreachable.isEmpty()) {
      throw new IOException("cannot read the package archive (" + String.join("; ", unreachable) + ")");
    }
    for (String line : unreachable) {
      progress.accept("skipped " + line);
    }
    for (String meta : metaPackages()) {
      Optional<DebianArchive.PackageEntry> image = follow(entries, meta);
      if (image.isPresent()) {
        return image.get();
      }
    }
    throw new IOException("no " + String.join(" or ", metaPackages()) + " in "
        + sources.stream().map(Object::toString).toList() + "; set " + ARCHIVE_SETTING
        + " in linux.conf (or " + ARCHIVE_VARIABLE + ") to a Debian archive, e.g. "
        + "'https://mirror.example.org/debian stable'");
  }

  /** The image package the newest {@code meta} depends on, if the indexes hold both. */
  static Optional<DebianArchive.PackageEntry> follow(List<DebianArchive.PackageEntry> entries, String meta) {
    Optional<DebianArchive.PackageEntry> newest = newest(entries, meta);
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    for (String dependency : newest.get().depends().split(",")) {
      String first = dependency.split("\\|")[0].strip();
      String name = first.split("[\\s(]")[0];
      if (name.startsWith(IMAGE_PREFIX) && !name.equals(meta)) {
        return newest(entries, name);
      }
    }
    return Optional.empty();
  }

  private static Optional<DebianArchive.PackageEntry> newest(List<DebianArchive.PackageEntry> entries, String name) {
    return entries.stream().filter(e -> e.name().equals(name))
        .max(Comparator.comparing(DebianArchive.PackageEntry::version, DebianVersion.ORDER));
  }

  static String versionOf(String imagePackage) {
    String v = imagePackage.substring(IMAGE_PREFIX.length());
    return v.endsWith("-unsigned") ? v.substring(0, v.length() - "-unsigned".length()) : v;
  }

  private GuestKernel download(DebianArchive.PackageEntry image, String version)
      throws IOException, InterruptedException {
    Path staging = Files.createTempDirectory(kernelsDirCreated(), ".provision-");
    try {
      Path deb = staging.resolve("package.deb");
      new DebianArchive(transport, signatures, progress).download(image, deb);
      Path root = staging.resolve("root");
      progress.accept("unpacking " + image.name());
      DebPackage.extract(deb, root, DebPackage.KERNEL_FILES);
      Path vmlinuz = root.resolve("boot").resolve("vmlinuz-" + version);
      if (!Files.isRegularFile(vmlinuz)) {
        throw new IOException(image.name() + " holds no boot/vmlinuz-" + version);
      }
      Path modules = root.resolve("lib/modules").resolve(version);
      if (!Files.isDirectory(modules)) {
        modules = root.resolve("usr/lib/modules").resolve(version);
      }
      if (!Files.isDirectory(modules)) {
        throw new IOException(image.name() + " holds no lib/modules/" + version);
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

  private Path checkedMarker() {
    return kernelsDir.resolve(".checked-" + arch.debianName());
  }

  /** The kernel chosen by a check less than {@link #CHECK_INTERVAL} ago, if it is in place. */
  private Optional<GuestKernel> recentlyChecked() throws IOException {
    Path marker = checkedMarker();
    if (!Files.isRegularFile(marker)) {
      return Optional.empty();
    }
    FileTime when = Files.getLastModifiedTime(marker);
    if (when.toInstant().plus(CHECK_INTERVAL).isBefore(clock.instant())) {
      return Optional.empty();
    }
    return installed(Files.readString(marker).strip());
  }

  private void markChecked(String version) throws IOException {
    Path temp = Files.createTempFile(kernelsDirCreated(), ".checked-", ".tmp");
    Files.writeString(temp, version + "\n");
    Files.setLastModifiedTime(temp, FileTime.from(clock.instant()));
    Files.move(temp, checkedMarker(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static boolean isUnreachable(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
          || t instanceof java.net.http.HttpTimeoutException || t instanceof java.net.NoRouteToHostException
          || t instanceof java.nio.channels.UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  private Optional<GuestKernel> newestInstalled() throws IOException {
    if (!Files.isDirectory(kernelsDir)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(kernelsDir)) {
      return dirs.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".") && n.endsWith("-" + arch.debianName()))
          .map(this::installed)
          .flatMap(Optional::stream)
          .max(Comparator.comparing(k -> lastModified(k.vmlinuz())));
    }
  }

  private static FileTime lastModified(Path p) {
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
