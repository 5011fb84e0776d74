package dev.linux.env;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.ext4.Ext4Reader;
import dev.linux.env.fs.FileTrees;
import dev.linux.share.ShareSpec;
import dev.linux.share.VirtiofsServer;
import dev.linux.vm.VirtiofsMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The shares of one environment's boots: which host directories it gets (its record, the host
 * home, the image's {@code /etc/wsl.conf}), their file servers (one {@link VirtiofsServer} per
 * boot, started before QEMU), and what a later process (the daemon after a restart, {@code
 * inspect}, {@code run}'s working directory) learns of them from the runtime directory.
 *
 * <p>The servers outlive the process that starts them (the helper leaves its session, as QEMU
 * does): their pids and what they serve are kept in {@code RUNTIME/shares/shares.json}, so any
 * process can find them, check them and stop them. A share that cannot be served (no virtiofsd, no
 * subordinate ids, a directory gone) never stops a boot: the environment boots without it, and
 * the reason is a notice at boot and a problem in {@code inspect}.
 */
public final class EnvironmentShares {

  static final String DIR = "shares";
  static final String STATE = "shares.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvironmentShares() {}

  /** One share served at this boot, as recorded in the runtime directory. */
  public record Served(String tag, String host, String guest, boolean readOnly, long pid) {}

  /** What was served at this boot, and why anything wanted was not. */
  public record State(List<Served> shares, List<String> problems) {
    public State {
      shares = shares == null ? List.of() : List.copyOf(shares);
      problems = problems == null ? List.of() : List.copyOf(problems);
    }
  }

  /** What {@code inspect} shows of one share: its paths and {@code state}. */
  public record ShareStatus(String host, String guest, boolean readOnly, String state) {}

  /** The shares an environment has or will have, and their problems, one line each. */
  public record Report(List<ShareStatus> shares, List<String> problems) {}

  /** The shares wanted at the next boot (in mount order: parents first), and those left out. */
  record Wanted(List<ShareSpec> shares, List<String> problems) {}

  /** The host home shared by default: {@code $HOME}, else {@code user.home}; empty if not a directory or {@code /}. */
  public static Optional<Path> hostHome(Map<String, String> env) {
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    if (home == null || home.isBlank() || !home.startsWith("/")) {
      return Optional.empty();
    }
    try {
      Path real = Path.of(home).toRealPath();
      return Files.isDirectory(real) && real.getNameCount() > 0 ? Optional.of(real) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The shares {@code record} asks for now; the home follows its setting and the disk's wsl.conf. */
  static Wanted wanted(EnvironmentRecord record, Path disk, Optional<Path> home) {
    List<ShareSpec> shares = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (ShareSetting setting : record.shares()) {
      try {
        shares.add(setting.spec());
      } catch (IllegalArgumentException e) {
        problems.add("share " + setting + " skipped: " + e.getMessage());
      }
    }
    if (!Boolean.FALSE.equals(record.shareHome()) && home.isPresent()) {
      if (!automount(disk)) {
        problems.add("the host home is not shared: the environment's /etc/wsl.conf says [automount] enabled = false");
      } else if (shares.stream().noneMatch(s -> s.guestPath().equals(home.get().toString()))) {
        try {
          shares.add(ShareSpec.samePath(home.get()));
        } catch (IllegalArgumentException e) {
          problems.add("the host home is not shared: " + e.getMessage());
        }
      }
    }
    shares.sort(Comparator.comparingInt(s -> Path.of(s.guestPath()).getNameCount()));
    return new Wanted(List.copyOf(shares), List.copyOf(problems));
  }

  /**
   * {@code [automount] enabled} of the disk's {@code /etc/wsl.conf}, read with our EXT4 reader
   * before the VM boots (the guest reads the same file as it boots; it cannot tell the host in
   * time). Unreadable, missing or invalid: true, as vminitd takes it.
   */
  static boolean automount(Path disk) {
    if (!Files.isRegularFile(disk)) {
      return true;
    }
    try (Ext4Reader reader = Ext4Reader.open(disk)) {
      Optional<Ext4Reader.Inode> conf = reader.lookup("/etc/wsl.conf");
      if (conf.isEmpty() || conf.get().type() != Ext4Reader.FileType.REGULAR) {
        return true;
      }
      return automount(new String(reader.readContent(conf.get()), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /** {@code [automount] enabled} of wsl.conf text; anything but a false value is true. */
  static boolean automount(String wslConf) {
    String section = "";
    boolean enabled = true;
    for (String raw : wslConf.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1).strip().toLowerCase(Locale.ROOT);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0 || !section.equals("automount")
          || !line.substring(0, eq).strip().equalsIgnoreCase("enabled")) {
        continue;
      }
      String value = line.substring(eq + 1).strip();
      int comment = value.indexOf('#');
      value = (comment >= 0 ? value.substring(0, comment) : value).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      switch (value.toLowerCase(Locale.ROOT)) {
        case "false", "no", "0", "off" -> enabled = false;
        case "true", "yes", "1", "on" -> enabled = true;
        default -> { } // invalid: vminitd keeps the default and reports it
      }
    }
    return enabled;
  }

  /**
   * linux's own directories, hidden from every share that contains them (an empty read-only
   * directory in the guest): the data directory holds the disk of every environment, the image
   * store and the kernels; the config and runtime directories the rest. The config directory is
   * created (private) when missing, so that it is hidden even if linux writes it later; the others
   * exist once an environment boots.
   */
  static List<Path> hidden(LinuxHome home) {
    try {
      if (!Files.exists(home.config(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        LinuxHome.createPrivate(home.config());
      }
    } catch (IOException e) {
      // unwritable: nothing of ours is there to hide
    }
    return List.of(home.data(), home.config(), home.runtime());
  }

  /**
   * Starts the file servers of one boot in {@code RUNTIME/shares} and records them, hiding {@code
   * hidden} (see {@link #hidden}) in every share. Never fails the boot: what cannot be served is a
   * one-line {@code notice} (a warning naming the fix) and a problem in the record; the VM then
   * boots without it.
   */
  static Boot start(EnvironmentRecord record, EnvironmentFiles files, Optional<Path> home, List<Path> hidden,
      Consumer<String> notice) throws IOException {
    stop(files.runtime()); // a previous boot's leftovers
    Wanted wanted = wanted(record, files.disk(), home);
    List<String> problems = new ArrayList<>(wanted.problems());
    VirtiofsServer server = null;
    if (!wanted.shares().isEmpty()) {
      Path dir = privateDirectory(files.runtime()).resolve(DIR);
      privateDirectory(dir);
      try {
        server = VirtiofsServer.start(wanted.shares(), dir, hidden);
      } catch (IOException e) {
        String line = e.getMessage() == null ? e.toString() : e.getMessage().strip().lines().findFirst().orElse("");
        problems.add("shares not served (booting without them): " + line);
      }
    }
    for (String problem : problems) {
      if (!problem.startsWith("the host home is not shared: the environment's")) {
        notice.accept("warning: " + problem);
      }
    }
    List<Served> served = new ArrayList<>();
    List<VirtiofsMount> mounts = new ArrayList<>();
    if (server != null) {
      List<Long> pids = server.pids();
      for (int i = 0; i < server.exports().size(); i++) {
        VirtiofsServer.Export e = server.exports().get(i);
        served.add(new Served(e.tag(), e.share().hostPath().toString(), e.share().guestPath(), e.share().readOnly(), pids.get(i)));
        mounts.add(new VirtiofsMount(e.tag(), e.socket(), e.share().guestPath(), e.share().readOnly()));
      }
    }
    if (server != null || !problems.isEmpty()) {
      Path dir = privateDirectory(privateDirectory(files.runtime()).resolve(DIR));
      dev.linux.env.fs.AtomicFiles.write(dir.resolve(STATE), JSON.writeValueAsBytes(new State(served, problems)));
      Files.setPosixFilePermissions(dir.resolve(STATE), PosixFilePermissions.fromString("rw-------"));
    }
    return new Boot(server, List.copyOf(mounts));
  }

  /** One boot's servers: the mounts for the VM spec; {@link #close} stops them (a failed boot). */
  record Boot(VirtiofsServer server, List<VirtiofsMount> mounts) implements AutoCloseable {
    @Override
    public void close() {
      if (server != null) {
        server.close();
      }
    }
  }

  /** What the runtime directory says was served at this boot; empty when nothing was recorded. */
  public static Optional<State> read(Path runtime) {
    Path state = runtime.resolve(DIR).resolve(STATE);
    try {
      return Files.isRegularFile(state) ? Optional.of(JSON.readValue(state.toFile(), State.class)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Whether the helper serving one share still runs (its pid, and still our helper). */
  public static boolean alive(Served share) {
    return ProcessHandle.of(share.pid())
        .filter(ProcessHandle::isAlive)
        .map(p -> p.info().command().map(c -> c.endsWith("sharehelper")).orElse(true))
        .orElse(false);
  }

  /**
   * Why the running environment's shares are broken: the first share whose server died, with
   * the last line of its log; empty while all are served.
   */
  public static Optional<String> lost(Path runtime) {
    for (Served share : read(runtime).map(State::shares).orElse(List.of())) {
      if (!alive(share)) {
        return Optional.of("the file server of share " + share.host() + " (" + share.guest() + ") exited"
            + lastLogLine(runtime.resolve(DIR).resolve(share.tag() + ".log")).map(l -> ": " + l).orElse(""));
      }
    }
    return Optional.empty();
  }

  /** Stops the servers recorded in {@code runtime} (SIGTERM, SIGKILL after 3 s) and removes their files. */
  static void stop(Path runtime) {
    Path dir = runtime.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return;
    }
    List<ProcessHandle> helpers = read(runtime).map(State::shares).orElse(List.of()).stream()
        .filter(EnvironmentShares::alive)
        .flatMap(s -> ProcessHandle.of(s.pid()).stream())
        .toList();
    helpers.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    for (ProcessHandle helper : helpers) {
      while (helper.isAlive() && System.nanoTime() < deadline) {
        sleep();
      }
      if (helper.isAlive()) {
        helper.destroyForcibly();
      }
    }
    try {
      FileTrees.delete(dir);
      Files.deleteIfExists(runtime);
    } catch (IOException ignored) {
      // best effort: the next boot cleans again
    }
  }

  /** Configured (not running) or served (running) shares with their state, for {@code inspect}. */
  static Report report(EnvironmentRecord record, EnvironmentFiles files, Optional<Path> home, boolean running) {
    Wanted wanted = wanted(record, files.disk(), home);
    List<ShareStatus> shares = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    if (!running) {
      wanted.shares().forEach(s -> shares.add(new ShareStatus(s.hostPath().toString(), s.guestPath(), s.readOnly(), "stopped")));
      problems.addAll(wanted.problems());
      return new Report(shares, problems);
    }
    State state = read(files.runtime()).orElse(new State(List.of(), List.of()));
    problems.addAll(state.problems());
    for (Served s : state.shares()) {
      boolean stillWanted = wanted.shares().stream().anyMatch(w -> w.guestPath().equals(s.guest())
          && w.hostPath().toString().equals(s.host()) && w.readOnly() == s.readOnly());
      String st = alive(s) ? (stillWanted ? "served" : "served (removed at the next boot)") : "lost";
      shares.add(new ShareStatus(s.host(), s.guest(), s.readOnly(), st));
    }
    for (ShareSpec w : wanted.shares()) {
      if (state.shares().stream().noneMatch(s -> s.guest().equals(w.guestPath()) && s.host().equals(w.hostPath().toString())
          && s.readOnly() == w.readOnly())) {
        shares.add(new ShareStatus(w.hostPath().toString(), w.guestPath(), w.readOnly(), "at the next boot"));
      }
    }
    lost(files.runtime()).ifPresent(reason -> problems.add(reason + "; the environment is being stopped"));
    return new Report(shares, problems);
  }

  /** The shares paths translate through: those served while it runs, else those of its next boot. */
  static List<ShareSpec> active(EnvironmentRecord record, EnvironmentFiles files, Optional<Path> home, boolean running) {
    if (running) {
      Optional<State> state = read(files.runtime());
      List<ShareSpec> served = new ArrayList<>();
      for (Served s : state.map(State::shares).orElse(List.of())) {
        try {
          served.add(new ShareSpec(Path.of(s.host()), s.guest(), s.readOnly()));
        } catch (IllegalArgumentException e) {
          // its host directory went away
        }
      }
      return served;
    }
    return wanted(record, files.disk(), home).shares();
  }

  private static Optional<String> lastLogLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return Optional.of(lines.get(i).strip());
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // no log
    }
    return Optional.empty();
  }

  private static Path privateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return dir;
  }

  private static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
