package dev.linux.vm;

import dev.linux.vm.internal.GrpcGuestAgent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A handle to a running VM. The VM is a daemonized QEMU in its own session: it outlives the
 * process that started it, and any process can re-attach with {@link #find(Path)}. So this is not
 * {@link AutoCloseable}: dropping the handle leaves the VM running; {@link #stop} ends it.
 */
public final class VirtualMachine {
  static final String AGENT_LOCK = "agent.lock";
  static final String QEMU_LOG = "qemu.log";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(20);
  /** How long a running guest may take to answer a new agent connection's session hello. */
  private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(10);

  private final String name;
  private final Path runtimeDir;
  private final long pid;
  private final Path consoleLog;

  private VirtualMachine(String name, Path runtimeDir, long pid, Path consoleLog) {
    this.name = name;
    this.runtimeDir = runtimeDir;
    this.pid = pid;
    this.consoleLog = consoleLog;
  }

  /** Starts the VM with the QEMU for the guest's architecture; returns once QEMU runs it. */
  public static VirtualMachine start(VmSpec spec) throws VmException {
    return start(spec, spec.architecture().qemuBinary());
  }

  /**
   * Starts the VM with {@code qemuBinary} (a name looked up in PATH, or a path). Returns when the
   * daemonizing QEMU parent has exited successfully: the VM then runs detached.
   *
   * @throws VmException when the VM is already running, an input is missing, or QEMU fails (its
   *     error output is in the message)
   */
  public static VirtualMachine start(VmSpec spec, String qemuBinary) throws VmException {
    Objects.requireNonNull(spec, "spec");
    Path runDir = spec.runtimeDir();
    Optional<VirtualMachine> running = find(runDir);
    if (running.isPresent()) {
      throw new VmException(
          "VM " + spec.name() + " is already running (pid " + running.get().pid() + ")");
    }
    if (spec.architecture() != Architecture.host() && spec.accelerator() != Accelerator.TCG) {
      throw new VmException("a " + spec.architecture().platform() + " guest on a "
          + Architecture.host().platform() + " host runs under TCG only, not " + spec.accelerator().qemuName());
    }
    requireFile(spec.kernel(), "kernel image");
    requireFile(spec.initrd(), "initramfs");
    requireFile(spec.disk(), "disk image");
    List<String> command;
    try {
      command = QemuCommandLine.build(spec.withClockHint(), qemuBinary);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw new VmException(e.getMessage(), e);
    }
    Path log = runDir.resolve(QEMU_LOG);
    try {
      createPrivateDirectory(runDir);
      Files.createDirectories(spec.consoleLog().getParent());
      for (Path stale : List.of(spec.agentSocket(), spec.qmpSocket(), spec.pidFile(), log)) {
        Files.deleteIfExists(stale);
      }
      // QEMU creates files with the caller's umask: make the ones it appends to private first.
      createPrivateFile(log);
      createPrivateFile(spec.consoleLog());
    } catch (IOException e) {
      throw new VmException("cannot prepare " + runDir + ": " + e.getMessage(), e);
    }
    Process parent;
    try {
      parent =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(log.toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new VmException("cannot run " + qemuBinary + ": " + e.getMessage(), e);
    }
    try {
      if (!parent.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        parent.destroyForcibly();
        killFromPidFile(spec.pidFile());
        throw new VmException("QEMU did not start VM " + spec.name() + " within " + START_TIMEOUT.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      parent.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new VmException("interrupted while starting VM " + spec.name(), e);
    }
    if (parent.exitValue() != 0) {
      throw new VmException(
          "QEMU failed to start VM " + spec.name() + " (exit " + parent.exitValue() + "): "
              + String.join(" | ", tail(log, 5)));
    }
    long pid =
        QemuProcess.readPidFile(spec.pidFile())
            .orElseThrow(() -> new VmException("QEMU started but wrote no pid file " + spec.pidFile()));
    // Its sockets and pid file exist once the daemonizing parent has exited; they are in a 0700
    // directory already, and owner-only themselves as well.
    for (Path made : List.of(spec.agentSocket(), spec.qmpSocket(), spec.pidFile())) {
      makeOwnerOnly(made);
    }
    return new VirtualMachine(spec.name(), runDir, pid, spec.consoleLog());
  }

  /**
   * Re-attaches to the VM whose runtime directory is {@code runtimeDir}, if its QEMU still runs.
   * A pid file whose process is gone or is not this VM's QEMU is stale and is cleaned up.
   */
  public static Optional<VirtualMachine> find(Path runtimeDir) {
    Path runDir = runtimeDir.toAbsolutePath().normalize();
    Path pidFile = runDir.resolve("qemu.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    Optional<Long> pid = QemuProcess.readPidFile(pidFile);
    if (pid.isEmpty()) {
      // QEMU creates, truncates, then writes its pid file: an unreadable one may belong to a VM
      // that is starting right now. Cleaning is left to start(), which holds the lifecycle lock.
      return Optional.empty();
    }
    if (QemuProcess.isOurs(pid.get(), runDir.resolve("agent.sock"))) {
      return Optional.of(
          new VirtualMachine(
              runDir.getFileName().toString(),
              runDir,
              pid.get(),
              consoleLogOf(pid.get()).orElse(null)));
    }
    cleanRuntimeDir(runDir);
    return Optional.empty();
  }

  public String name() {
    return name;
  }

  public long pid() {
    return pid;
  }

  public Path runtimeDir() {
    return runtimeDir;
  }

  /** The guest console log, when known. */
  public Optional<Path> consoleLog() {
    return Optional.ofNullable(consoleLog);
  }

  public boolean isRunning() {
    return QemuProcess.isOurs(pid, agentSocket());
  }

  /** Opens an agent session, waiting up to 30 s for another session of this VM to end. */
  public GuestAgent connectAgent() throws AgentException {
    return connectAgent(DEFAULT_LOCK_WAIT, notice -> {});
  }

  /**
   * Opens an agent session. Only one can be open per VM (QEMU's socket takes one client): if
   * another holds it, {@code notice} is told once and this waits up to {@code lockWait}.
   */
  public GuestAgent connectAgent(Duration lockWait, Consumer<String> notice) throws AgentException {
    return connectAgent(lockWait, notice, HELLO_TIMEOUT);
  }

  private GrpcGuestAgent connectAgent(Duration lockWait, Consumer<String> notice, Duration helloTimeout)
      throws AgentException {
    if (!isRunning()) {
      throw new AgentException(AgentException.Code.UNAVAILABLE, "VM " + name + " is not running");
    }
    return GrpcGuestAgent.connect(
        agentSocket(), runtimeDir.resolve(AGENT_LOCK), lockWait, helloTimeout, notice);
  }

  /**
   * Opens the VM's agent connection for sharing (see {@link AgentChannel}): like {@link
   * #connectAgent(Duration, Consumer)}, it holds the VM's agent lock until closed.
   */
  public AgentChannel openAgentChannel(Duration lockWait, Consumer<String> notice) throws AgentException {
    return new AgentChannel(connectAgent(lockWait, notice, HELLO_TIMEOUT));
  }

  /**
   * Waits until the guest agent answers a ping and returns what it said.
   *
   * @throws VmException when QEMU died (with the end of the console log) or the timeout passed
   */
  public AgentInfo waitUntilReady(Duration timeout) throws VmException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      awaitAgentPortOpen(deadline, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmException("interrupted while waiting for VM " + name + " to boot", e);
    }
    Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(1).toNanos()));
    try (GuestAgent agent = connectAgent(timeout, notice -> {}, left)) {
      while (true) {
        checkBooting(deadline, timeout);
        long remaining = deadline - System.nanoTime();
        try {
          AgentInfo info = agent.ping(Duration.ofNanos(Math.min(remaining, Duration.ofSeconds(1).toNanos())));
          try {
            setClock(agent);
          } catch (AgentException e) {
            // an older guest without SetTime, or a transient failure: the next resync sets it
          }
          return info;
        } catch (AgentException e) {
          if (e.code() != AgentException.Code.UNAVAILABLE
              && e.code() != AgentException.Code.DEADLINE_EXCEEDED) {
            throw new VmException("VM " + name + ": guest agent: " + e.getMessage(), e);
          }
          sleep(POLL);
        }
      }
    } catch (AgentException e) {
      throw new VmException("VM " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmException("interrupted while waiting for VM " + name + " to boot", e);
    }
  }

  /**
   * Sets the guest clock from the host's. {@link #waitUntilReady} does it once; a long-running
   * owner of the VM calls it (or {@link GuestAgent#setTime}) periodically, as the guest clock drifts
   * under TCG.
   *
   * @return how far the guest clock was ahead of the host's before (negative: behind)
   */
  public static Duration setClock(GuestAgent agent) throws AgentException {
    return agent.setTime(java.time.Instant.now());
  }

  /**
   * Waits, through QMP, until the guest has opened the agent's port. Connecting to the agent
   * socket earlier is not only pointless: under TCG, a client connected while the guest kernel
   * is still calibrating its clocks was seen to leave the guest hanging with time stuck at zero.
   */
  private void awaitAgentPortOpen(long deadline, Duration timeout)
      throws VmException, InterruptedException {
    QmpClient qmp = null;
    try {
      while (true) {
        checkBooting(deadline, timeout);
        try {
          if (qmp == null) {
            qmp = QmpClient.connect(runtimeDir.resolve("qmp.sock"));
          }
          if (qmp.isFrontendOpen("agent")) {
            return;
          }
        } catch (IOException e) {
          closeQuietly(qmp);
          qmp = null; // QEMU busy or restarting the monitor: try again
        }
        sleep(POLL);
      }
    } finally {
      closeQuietly(qmp);
    }
  }

  private void checkBooting(long deadline, Duration timeout) throws VmException {
    if (!isRunning()) {
      throw new VmException(
          "VM " + name + " stopped while booting; console: " + String.join(" | ", consoleTail(10)));
    }
    if (System.nanoTime() - deadline >= 0) {
      throw new VmException(
          "VM " + name + " did not answer within " + timeout.toSeconds() + " s; console: "
              + String.join(" | ", consoleTail(10)));
    }
  }

  private static void closeQuietly(QmpClient qmp) {
    if (qmp != null) {
      try {
        qmp.close();
      } catch (IOException ignored) {
        // nothing to release
      }
    }
  }

  /**
   * Stops the VM: asks the agent to shut down (processes get {@code grace} between SIGTERM and
   * SIGKILL, then the guest syncs, unmounts and powers off), waits for QEMU to exit, then asks QEMU
   * to quit, then kills it. Cleans the runtime directory in the end.
   */
  public void stop(Duration grace) throws VmException {
    if (isRunning()) {
      try {
        awaitStop(grace);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new VmException(
            "interrupted while stopping VM " + name + " (QEMU pid " + pid + " may still run)", e);
      }
    }
    cleanRuntimeDir(runtimeDir);
  }

  /** Agent shutdown, then QMP quit, then kill, each given its time to end QEMU. */
  private void awaitStop(Duration grace) throws VmException, InterruptedException {
    Duration budget = grace.plus(Duration.ofSeconds(15));
    Thread shutdown = Thread.ofVirtual().start(() -> requestShutdown(grace, budget));
    boolean exited;
    try {
      exited = waitForExit(budget);
    } finally {
      shutdown.interrupt();
    }
    if (!exited) {
      try (QmpClient qmp = QmpClient.connect(runtimeDir.resolve("qmp.sock"))) {
        qmp.execute("quit");
      } catch (IOException e) {
        // QEMU closes the connection as it quits, or cannot be asked: kill it below
      }
      exited = waitForExit(Duration.ofSeconds(5));
    }
    if (!exited) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      if (!waitForExit(Duration.ofSeconds(10))) {
        throw new VmException("VM " + name + " (QEMU pid " + pid + ") does not die");
      }
    }
  }

  /**
   * Forwards a host port into the guest (user-mode network only), through QEMU's monitor; about
   * 5-10 ms.
   *
   * @throws VmException with QEMU's message when the host port is taken (or the VM has no
   *     user-mode network, or stopped)
   */
  public void addHostForward(HostForward forward) throws VmException {
    try (QmpClient qmp = QmpClient.connect(runtimeDir.resolve("qmp.sock"))) {
      qmp.addHostForward(QemuCommandLine.NETDEV_ID, forward);
    } catch (IOException e) {
      throw new VmException(forward + ": " + e.getMessage(), e);
    }
  }

  /** Removes a forward {@link #addHostForward} added; false if QEMU had none such. */
  public boolean removeHostForward(HostForward forward) throws VmException {
    try (QmpClient qmp = QmpClient.connect(runtimeDir.resolve("qmp.sock"))) {
      return qmp.removeHostForward(QemuCommandLine.NETDEV_ID, forward);
    } catch (IOException e) {
      throw new VmException(forward + ": " + e.getMessage(), e);
    }
  }

  /** The last {@code lines} lines of the console log (empty when there is none). */
  public List<String> consoleTail(int lines) {
    return consoleLog == null ? List.of() : tail(consoleLog, lines);
  }

  @Override
  public String toString() {
    return "VM " + name + " (pid " + pid + ")";
  }

  private void requestShutdown(Duration grace, Duration budget) {
    try (GuestAgent agent = connectAgent(Duration.ofSeconds(5), notice -> {})) {
      agent.shutdown(grace);
    } catch (AgentException e) {
      // The guest may power off before it answers; stop() judges by QEMU's exit.
    }
  }

  /** Waits for QEMU to exit; false when {@code timeout} passed first. */
  private boolean waitForExit(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (QemuProcess.isAlive(pid)) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      sleep(POLL);
    }
    return true;
  }

  private Path agentSocket() {
    return runtimeDir.resolve("agent.sock");
  }

  static String defaultQemuBinary() {
    String arch = System.getProperty("os.arch", "");
    return switch (arch) {
      case "aarch64", "arm64" -> "qemu-system-aarch64";
      default -> "qemu-system-x86_64";
    };
  }

  private static void cleanRuntimeDir(Path runDir) {
    for (String file : List.of("agent.sock", "qmp.sock", "qemu.pid", AGENT_LOCK, QEMU_LOG)) {
      try {
        Files.deleteIfExists(runDir.resolve(file));
      } catch (IOException ignored) {
        // best effort: a leftover file is harmless and replaced on the next start
      }
    }
    try {
      Files.deleteIfExists(runDir);
    } catch (DirectoryNotEmptyException ignored) {
      // holds files of others (e.g. a virtiofsd socket): leave it
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static Optional<Path> consoleLogOf(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      List<String> args = Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
      int i = args.indexOf("-serial");
      if (i >= 0 && i + 1 < args.size() && args.get(i + 1).startsWith("file:")) {
        return Optional.of(Path.of(args.get(i + 1).substring("file:".length())));
      }
    } catch (IOException ignored) {
      // the process just ended
    }
    return Optional.empty();
  }

  private static void killFromPidFile(Path pidFile) {
    QemuProcess.readPidFile(pidFile)
        .flatMap(ProcessHandle::of)
        .ifPresent(ProcessHandle::destroyForcibly);
  }

  static List<String> tail(Path file, int lines) {
    try {
      byte[] raw = Files.readAllBytes(file);
      List<String> all = new ArrayList<>();
      new String(raw, StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .forEach(all::add);
      return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return List.of();
    }
  }

  private static void requireFile(Path file, String what) throws VmException {
    if (!Files.isRegularFile(file)) {
      throw new VmException(what + " not found: " + file);
    }
  }

  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_RW =
      PosixFilePermissions.fromString("rw-------");

  /** Creates {@code file} with mode 0600 if missing, or takes others' permissions away if not. */
  private static void createPrivateFile(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_RW));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      makeOwnerOnly(file);
    }
  }

  private static void makeOwnerOnly(Path file) {
    try {
      Files.setPosixFilePermissions(file, OWNER_RW);
    } catch (IOException | UnsupportedOperationException ignored) {
      // gone already (QEMU exited), or not a POSIX file system: the 0700 directory still guards it
    }
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir.getParent());
    if (Files.isDirectory(dir)) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } else {
      try {
        Files.createDirectory(
            dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (java.nio.file.FileAlreadyExistsException ignored) {
        // created concurrently
      }
    }
  }

  /** Every waiting loop here sleeps through this, so an interrupt ends the loop at once. */
  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d);
  }
}
