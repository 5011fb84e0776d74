package dev.linux.share;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The file servers of one VM boot: one QEMU {@code virtiofsd} per shared directory (virtiofsd
 * serves one directory; one process each also keeps a read-only share's host-side enforcement
 * separate from a writable one's), each on a Unix socket QEMU connects to as a vhost-user client.
 *
 * <p>Each virtiofsd is started by {@code sharehelper} (a static Go helper of this module, see
 * {@code fs-share/sharehelper/main.go}): it binds the socket as the calling user, so QEMU running
 * as that user can connect, and hands it to virtiofsd as {@code --fd=3} inside a private mount
 * namespace. As root, virtiofsd runs as root. As anyone else it runs as root of a user namespace
 * whose ids come from the user's ranges in {@code /etc/subuid} and {@code /etc/subgid}, the user's
 * own uid and gid mapped to themselves ({@link IdMapping}): host files of the user appear in the
 * guest as the user's, and guest files written by the user's uid land on the host as the user's.
 * Read-only shares are a read-only bind mount in virtiofsd's namespace (this virtiofsd has no
 * read-only option), so a guest root that remounts its share read-write still cannot write.
 *
 * <p>Directories to hide (linux's own data, config and runtime directories: disk images of every
 * environment) are covered, in each share that contains them, by an empty read-only tmpfs in the
 * server's mount namespace before virtiofsd starts ({@link #hiddenIn}): the guest sees an empty
 * directory it cannot write to, and guest root cannot undo a mount on the host side.
 *
 * <p>QEMU's C virtiofsd serves one client connection and exits when it goes: start a server per
 * boot, before QEMU, and close it after QEMU has stopped. {@link #onExit()} completes when any of
 * the servers ends, which is normal after the VM stops and a failure while it runs.
 */
public final class VirtiofsServer implements AutoCloseable {

  /** One served share: what QEMU's {@code vhost-user-fs-device} and the guest's mount need. */
  public record Export(String tag, Path socket, ShareSpec share) {}

  /**
   * virtiofsd's cache mode: {@code auto} (virtiofsd's default; measured against {@code always} in
   * {@code bench/run share}, see the README). {@code LINUX_VIRTIOFSD_CACHE} (or the system property
   * {@code linux.virtiofsd.cache}) overrides it: {@code none}, {@code auto} or {@code always}.
   */
  static final String CACHE_MODE = "auto";

  static String cacheMode() {
    String mode = System.getProperty("linux.virtiofsd.cache", System.getenv().getOrDefault("LINUX_VIRTIOFSD_CACHE", CACHE_MODE));
    if (!List.of("none", "auto", "always").contains(mode)) {
      throw new IllegalArgumentException("LINUX_VIRTIOFSD_CACHE must be none, auto or always, not " + mode);
    }
    return mode;
  }

  /** virtiofsd's thread pool ({@code --thread-pool-size}); empty: virtiofsd's default (64). */
  static java.util.Optional<Integer> threadPool() {
    String n = System.getProperty("linux.virtiofsd.threads", System.getenv("LINUX_VIRTIOFSD_THREADS"));
    return n == null || n.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(Integer.parseInt(n.strip()));
  }

  static final String HELPER_RESOURCE = "/dev/linux/share/sharehelper";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final List<Path> VIRTIOFSD_LOCATIONS =
      List.of(Path.of("/usr/libexec/virtiofsd"), Path.of("/usr/lib/qemu/virtiofsd"));

  private final List<Export> exports;
  private final List<Process> processes;
  private final CompletableFuture<Export> firstExit = new CompletableFuture<>();

  private VirtiofsServer(List<Export> exports, List<Process> processes) {
    this.exports = List.copyOf(exports);
    this.processes = List.copyOf(processes);
    for (int i = 0; i < processes.size(); i++) {
      Export export = exports.get(i);
      processes.get(i).onExit().thenRun(() -> firstExit.complete(export));
    }
  }

  /**
   * Starts one virtiofsd per share, with sockets {@code fsN.sock}, logs {@code fsN.log} (virtiofsd's
   * stderr) and tags {@code fsN} in {@code runtimeDir} (created if missing; keep it private to the
   * user: whoever can connect to a socket can read the share). With no shares, nothing runs.
   *
   * @throws IOException with a one-line message when virtiofsd or the helper is missing, the user
   *     has no subordinate ids, or a server fails to start; servers already started are stopped
   */
  public static VirtiofsServer start(List<ShareSpec> shares, Path runtimeDir) throws IOException {
    return start(shares, runtimeDir, List.of());
  }

  /**
   * Like {@link #start(List, Path)}, hiding {@code hidden} directories from every share that
   * contains them (see {@link #hiddenIn}). Directories that do not exist now are not hidden, even
   * if they are created later while the servers run.
   */
  public static VirtiofsServer start(List<ShareSpec> shares, Path runtimeDir, List<Path> hidden) throws IOException {
    return start(shares, runtimeDir, hidden, locateVirtiofsd());
  }

  static VirtiofsServer start(List<ShareSpec> shares, Path runtimeDir, List<Path> hidden, Path virtiofsd)
      throws IOException {
    Objects.requireNonNull(shares, "shares");
    Objects.requireNonNull(hidden, "hidden");
    List<Export> exports = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    if (shares.isEmpty()) {
      return new VirtiofsServer(exports, processes);
    }
    Files.createDirectories(runtimeDir);
    Path helper = installHelper(runtimeDir);
    HostUser user = HostUser.current();
    List<String> namespaceArgs = user.isRoot() ? List.of() : user.namespaceArguments();
    try {
      for (int i = 0; i < shares.size(); i++) {
        ShareSpec share = shares.get(i);
        Export export = new Export("fs" + i, runtimeDir.resolve("fs" + i + ".sock"), share);
        Path log = runtimeDir.resolve("fs" + i + ".log");
        if (!Files.exists(log)) { // private to the user, like everything in the runtime directory
          Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        List<String> cmd = command(helper, virtiofsd, export, hiddenIn(share.hostPath(), hidden), namespaceArgs);
        processes.add(launch(cmd, log, share));
        exports.add(export);
      }
    } catch (IOException | RuntimeException e) {
      new VirtiofsServer(exports, processes).close();
      throw e;
    }
    return new VirtiofsServer(exports, processes);
  }

  /**
   * The directories of {@code hidden} that lie in the share {@code shareHost} (a real path), as
   * real paths (symlinks resolved: a home reached through a link still contains its data
   * directory), in the order given, without duplicates. A hidden directory that contains the
   * share hides the whole share (its root is returned). Directories that do not exist are left
   * out: nothing to hide yet.
   */
  public static List<Path> hiddenIn(Path shareHost, List<Path> hidden) {
    List<Path> inside = new ArrayList<>();
    for (Path h : hidden) {
      Path real;
      try {
        real = h.toAbsolutePath().normalize().toRealPath();
      } catch (IOException e) {
        continue; // missing (or unreadable: then virtiofsd cannot serve it either)
      }
      Path covered = real.startsWith(shareHost) ? real : shareHost.startsWith(real) ? shareHost : null;
      if (covered != null && !inside.contains(covered)) {
        inside.add(covered);
      }
    }
    return List.copyOf(inside);
  }

  /** The helper's argument list for one share: a pure function, unit-tested. */
  static List<String> command(Path helper, Path virtiofsd, Export export, List<String> namespaceArgs) {
    return command(helper, virtiofsd, export, List.of(), namespaceArgs);
  }

  /** The helper's argument list for one share hiding {@code hide} (from {@link #hiddenIn}). */
  static List<String> command(Path helper, Path virtiofsd, Export export, List<Path> hide, List<String> namespaceArgs) {
    String source = export.share().hostPath().toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(helper.toString());
    cmd.addAll(List.of("-socket", export.socket().toString(), "-source", source));
    if (export.share().readOnly()) {
      cmd.add("-readonly");
    }
    for (Path h : hide) {
      cmd.addAll(List.of("-hide", h.toString()));
    }
    cmd.addAll(namespaceArgs);
    cmd.add("--");
    cmd.add(virtiofsd.toString());
    cmd.add("--fd=3");
    cmd.addAll(List.of("-o", "source=" + source));
    // pivot_root into the share inside new mount, pid and net namespaces: works as root and as
    // root of our user namespace.
    cmd.addAll(List.of("-o", "sandbox=namespace"));
    // Mounts below the share (another file system under the home) get their own inode space.
    cmd.addAll(List.of("-o", "announce_submounts"));
    cmd.addAll(List.of("-o", "cache=" + cacheMode()));
    threadPool().ifPresent(n -> cmd.add("--thread-pool-size=" + n));
    // No xattrs: nothing needs them yet, and they would expose security.* labels of the host.
    cmd.addAll(List.of("-o", "no_xattr"));
    return List.copyOf(cmd);
  }

  /** The served shares, in the order given: tag, socket and spec for QEMU and the guest. */
  public List<Export> exports() {
    return exports;
  }

  /** Whether every virtiofsd still runs. */
  public boolean isAlive() {
    return processes.stream().allMatch(Process::isAlive);
  }

  /**
   * Completes with the first export whose virtiofsd exited (normal once QEMU has disconnected;
   * a lost share while the VM runs). Never completes when there are no shares.
   */
  public CompletableFuture<Export> onExit() {
    return firstExit.copy();
  }

  /** The helper processes' pids, in export order (virtiofsd is their child). */
  public List<Long> pids() {
    return processes.stream().map(Process::pid).toList();
  }

  /** Stops every virtiofsd (SIGTERM, then SIGKILL after 3 s) and removes the sockets. */
  @Override
  public void close() {
    processes.forEach(Process::destroy);
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    for (Process p : processes) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
          p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (Export e : exports) {
      try {
        Files.deleteIfExists(e.socket());
      } catch (IOException ignored) {
        // the runtime directory is cleaned with the VM's
      }
    }
  }

  private static Process launch(List<String> cmd, Path log, ShareSpec share) throws IOException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    CompletableFuture<String> ready =
        CompletableFuture.supplyAsync(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                return line == null ? "" : line;
              } catch (IOException e) {
                return "";
              }
            });
    String line;
    try {
      line = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      line = "";
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting virtiofsd for " + share.hostPath());
    }
    if (!line.startsWith("ready ")) {
      p.destroyForcibly();
      throw new IOException(
          "virtiofsd for " + share.hostPath() + " did not start: " + lastLine(log) + " (log: " + log + ")");
    }
    return p;
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).strip();
        }
      }
    } catch (IOException ignored) {
      // fall through
    }
    return "no message";
  }

  /** virtiofsd: {@code LINUX_VIRTIOFSD}, else where Debian and Fedora install it. */
  static Path locateVirtiofsd() throws IOException {
    String configured = System.getenv("LINUX_VIRTIOFSD");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (Files.isExecutable(p)) {
        return p;
      }
      throw new IOException("LINUX_VIRTIOFSD=" + configured + " is not an executable file");
    }
    for (Path p : VIRTIOFSD_LOCATIONS) {
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IOException(
        "virtiofsd not found (looked in " + VIRTIOFSD_LOCATIONS
            + "): install the package qemu-system-common, or set LINUX_VIRTIOFSD");
  }

  /** Writes the helper from the class path into {@code dir} unless an identical copy is there. */
  static Path installHelper(Path dir) throws IOException {
    byte[] bytes;
    try (InputStream in = VirtiofsServer.class.getResourceAsStream(HELPER_RESOURCE)) {
      if (in == null) {
        throw new IOException("sharehelper is missing from the class path (" + HELPER_RESOURCE
            + "): build fs-share with Go installed (package golang-go)");
      }
      bytes = in.readAllBytes();
    }
    Path target = dir.resolve("sharehelper");
    if (Files.isRegularFile(target) && Files.isExecutable(target)
        && Files.size(target) == bytes.length && Arrays.equals(Files.readAllBytes(target), bytes)) {
      return target;
    }
    Path temp = Files.createTempFile(dir, ".sharehelper-", ".tmp");
    try {
      Files.write(temp, bytes);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx------"));
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    return target;
  }
}
