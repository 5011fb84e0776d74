package dev.linux.env;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Where one instance of linux keeps its files. {@code LINUX_HOME} makes a fully independent
 * instance (its own data, configuration and runtime sockets); otherwise the XDG directories are
 * used.
 *
 * @param data images, kernels and environments ({@code $LINUX_HOME} or {@code $XDG_DATA_HOME/linux})
 * @param config configuration files ({@code $XDG_CONFIG_HOME/linux}, or {@code $LINUX_HOME/config})
 * @param runtime sockets and pid files; kept short because Unix socket paths are limited to 107
 *     bytes ({@code $XDG_RUNTIME_DIR/linux}, or {@code /tmp/linux-UID}; with {@code LINUX_HOME} a
 *     subdirectory named after a hash of it)
 */
public record LinuxHome(Path data, Path config, Path runtime) {

  /** Resolves the directories from environment variables, as the CLI does. */
  public static LinuxHome fromEnvironment(Map<String, String> env) {
    String home = nonEmpty(env.get("HOME"), System.getProperty("user.home"));
    String linuxHome = env.get("LINUX_HOME");
    String runtimeBase = env.get("XDG_RUNTIME_DIR");
    Path runtimeRoot =
        runtimeBase != null && !runtimeBase.isEmpty() && Files.isDirectory(Path.of(runtimeBase))
            ? Path.of(runtimeBase)
            : Path.of(System.getProperty("java.io.tmpdir"), "linux-" + currentUid());
    if (linuxHome != null && !linuxHome.isEmpty()) {
      Path data = Path.of(linuxHome).toAbsolutePath().normalize();
      return new LinuxHome(
          data, data.resolve("config"), runtimeRoot.resolve("linux-" + shortHash(data.toString())));
    }
    Path data =
        Path.of(nonEmpty(env.get("XDG_DATA_HOME"), home + "/.local/share")).resolve("linux");
    Path config = Path.of(nonEmpty(env.get("XDG_CONFIG_HOME"), home + "/.config")).resolve("linux");
    return new LinuxHome(data, config, runtimeRoot.resolve("linux"));
  }

  public Path images() {
    return data.resolve("images");
  }

  public Path kernels() {
    return data.resolve("kernels");
  }

  public Path environments() {
    return data.resolve("environments");
  }

  /** Every file name belonging to one environment. */
  public EnvironmentFiles files(EnvName name) {
    return new EnvironmentFiles(environments().resolve(name.value()), runtime.resolve(name.value()));
  }

  /** Creates the runtime directory with mode 0700 (sockets inside must not be reachable by others). */
  public Path ensureRuntime() throws IOException {
    Path parent = runtime.getParent();
    if (parent != null && parent.getFileName().toString().startsWith("linux-")) {
      createPrivate(parent);
    }
    createPrivate(runtime);
    return runtime;
  }

  /**
   * Makes this instance's files private to their owner, as every command expects them: creates the
   * data directory is left alone when it is missing (commands that need it create it private), and tightens what an older version (or a
   * permissive umask) left behind: the data, configuration and runtime directories, the directories
   * directly inside them, and the files and sockets in all of these (an environment's disk, record
   * and console log included) lose every group and other permission. Other local users then can neither read a
   * disk nor reach a socket. Cheap enough for every command: it does not walk the image store,
   * which the 0700 data directory hides anyway. Best effort: a file it may not change (another
   * owner) is left as it is.
   */
  public void makePrivate() throws IOException {
    tighten(data, 1);
    tighten(environments(), 1);
    if (Files.isDirectory(config, LinkOption.NOFOLLOW_LINKS)) {
      tighten(config, 0);
    }
    if (Files.isDirectory(runtime, LinkOption.NOFOLLOW_LINKS)) {
      tighten(runtime, 1);
    }
  }

  /** Takes group and other permissions away from everything in a freshly built tree. */
  static void makeTreePrivate(Path dir) throws IOException {
    tighten(dir, Integer.MAX_VALUE);
  }

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  /**
   * Takes group and other permissions away from {@code dir}, the files and sockets in it, and
   * {@code depth} levels of directories below, alike.
   */
  private static void tighten(Path dir, int depth) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    restrict(dir);
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          if (depth > 0) {
            tighten(entry, depth - 1);
          }
        } else if (!Files.isSymbolicLink(entry)) {
          restrict(entry);
        }
      }
    } catch (NoSuchFileException ignored) {
      // removed while we looked: nothing left to protect
    }
  }

  /** Removes group and other permissions; never adds one. */
  private static void restrict(Path path) {
    try {
      Set<PosixFilePermission> current =
          Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      Set<PosixFilePermission> kept = EnumSet.noneOf(PosixFilePermission.class);
      for (PosixFilePermission p : current) {
        if (OWNER_ONLY.contains(p)) {
          kept.add(p);
        }
      }
      if (!kept.equals(current)) {
        Files.setPosixFilePermissions(path, kept);
      }
    } catch (IOException | UnsupportedOperationException | SecurityException ignored) {
      // not ours to change, or gone: see makePrivate
    }
  }

  static void createPrivate(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  private static String nonEmpty(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  static long currentUid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return 0;
    }
  }

  private static String shortHash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
