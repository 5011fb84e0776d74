package dev.linux.env;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.image.ImageException;
import dev.linux.vm.AcceleratorChoice;
import dev.linux.vm.AcceleratorProbe;
import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.NewUser;
import dev.linux.vm.VirtualMachine;
import dev.linux.vm.VmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of environments: create, start, connect, stop, remove, list. Every operation that
 * changes an environment holds its lock, so concurrent commands on one environment are serialised.
 */
public final class Environments {

  private static final Duration BOOT_TIMEOUT_TCG = Duration.ofSeconds(120);
  private static final Duration BOOT_TIMEOUT_KVM = Duration.ofSeconds(30);
  private static final Duration SESSION_WAIT = Duration.ofMinutes(30);

  private final LinuxHome home;
  private final EnvironmentStore store;
  private final Progress progress;
  private final GuestBoot boot;
  /** Who starts, connects to, stops and removes environments; null: this object, in-process. */
  private final VmOwner owner;

  /**
   * Environments whose VMs this process owns (the daemon, tests).
   *
   * @param kernelDir a directory holding {@code vmlinuz} and {@code modules/} to boot instead of
   *     the distribution's cloud kernel (empty: provision that one)
   */
  public Environments(LinuxHome home, Progress progress, Optional<Path> kernelDir) {
    this(home, progress, kernelDir, null);
  }

  /** Environments whose VMs {@code owner} runs (the CLI passes the daemon's client). */
  public Environments(LinuxHome home, Progress progress, Optional<Path> kernelDir, VmOwner owner) {
    this.home = home;
    this.store = new EnvironmentStore(home);
    this.progress = progress;
    this.boot = new GuestBoot(home, progress, kernelDir);
    this.owner = owner;
  }

  public Optional<EnvironmentRecord> find(EnvName name) {
    return store.find(name);
  }

  /** Writes a new environment's disk from its image; on any failure nothing is left behind. */
  public EnvironmentRecord create(EnvName name, CreateOptions options) {
    return create(name, options, ShareChanges.NONE, NetworkSettings.DEFAULTS);
  }

  /**
   * {@link #create(EnvName, CreateOptions)} with share and network settings other than the
   * defaults, the shares checked first; the environment gets its own address (see {@link
   * AddressAllocator}).
   */
  public EnvironmentRecord create(
      EnvName name, CreateOptions options, ShareChanges shares, NetworkSettings network) {
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      if (store.find(name).isPresent()) {
        throw store.alreadyExists(name);
      }
      shares.applyTo(new EnvironmentRecord(name.value(), "-", null, Instant.EPOCH, 1, 64L << 20, 32L << 20, null), hostHome());
      ImageResolver.ResolvedImage image = new ImageResolver(home, progress).resolve(options.image());
      EnvironmentRecord record = store.create(name, files -> {
        try {
          DiskWriter.write(image.image(), files.disk(), options.disk().bytes(), label(name), progress);
        } catch (ImageException | IllegalArgumentException e) {
          throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "image " + image.displayName() + ": " + e.getMessage(), e);
        }
        return shares.applyTo(new EnvironmentRecord(
            name.value(), image.displayName(), image.image().manifest().digest().toString(), Instant.now(),
            options.cpus(), options.memory().bytes(), options.disk().bytes(),
            ImageDefaults.from(image.image().config())).withNetwork(network), hostHome());
      });
      return AddressAllocator.ensure(store, record);
    }
  }

  /** Boots the environment unless it is running; returns once its agent answers. */
  public void start(EnvName name) {
    if (owner != null) {
      owner.start(name);
      return;
    }
    running(name);
  }

  /**
   * Opens a session with the environment's guest agent, booting it first when it is stopped. The
   * caller closes the session.
   */
  public GuestAgent connect(EnvName name) {
    if (owner != null) {
      return owner.connect(name);
    }
    VirtualMachine vm = running(name);
    try {
      return new SessionAgent(vm.connectAgent(SESSION_WAIT, progress::notice));
    } catch (AgentException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, name + ": " + e.getMessage(), e);
    }
  }

  /**
   * What the agent of the running environment reports (wsl.conf settings and problems); empty when
   * it does not run or its agent does not answer. Never boots it; without a daemon, an agent that
   * another session holds counts as not answering rather than being waited for.
   */
  public Optional<EnvironmentInfo> describeIfRunning(EnvName name) {
    if (owner != null) {
      return owner.describeIfRunning(name);
    }
    Optional<VirtualMachine> vm = VirtualMachine.find(home.files(name).runtime());
    if (vm.isEmpty()) {
      return Optional.empty();
    }
    try (GuestAgent agent = vm.get().connectAgent(Duration.ZERO, notice -> {})) {
      return Optional.of(agent.describeEnvironment());
    } catch (AgentException e) {
      return Optional.empty();
    }
  }

  /**
   * The user that {@code run} and {@code enter} start processes as: the environment's own default
   * ({@code [user] default} in its {@code /etc/wsl.conf}), else the host user (created in the
   * environment on first use, with the same name, uid and gid, a home directory and sudo), else
   * the image's {@code User}, else root.
   */
  public String defaultUser(EnvironmentRecord record, GuestAgent agent, HostUser host) {
    try {
      Optional<String> configured = agent.describeEnvironment().defaultUser();
      if (configured.isPresent()) {
        return configured.get();
      }
      if (host.uid() != 0) {
        agent.ensureUser(NewUser.of(host.name(), host.uid(), host.gid()));
        return host.name();
      }
      return record.imageDefaults().user() != null ? record.imageDefaults().user() : "root";
    } catch (AgentException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, record.name() + ": cannot set up user " + host.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Shuts the environment down cleanly; false if it was not running. Its record goes through
   * {@code stopping} to {@code stopped}; one that still says a VM runs when none does is corrected.
   */
  public boolean stop(EnvName name, Duration grace) {
    if (owner != null) {
      return owner.stop(name, grace);
    }
    return stop(name, grace, null);
  }

  /**
   * Stops a running environment that cannot go on (its file server died), in-process, and records
   * it as {@code broken} with {@code brokenReason} (null: an ordinary stop).
   */
  public boolean stop(EnvName name, Duration grace, String brokenReason) {
    store.get(name);
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      EnvironmentRecord record = store.get(name);
      Optional<VirtualMachine> vm = VirtualMachine.find(home.files(name).runtime());
      if (vm.isEmpty()) {
        EnvironmentShares.stop(home.files(name).runtime());
        if (EnvironmentState.effective(record.state(), false) != record.state()) {
          store.save(record.withState(EnvironmentState.STOPPED, null));
        }
        return false;
      }
      store.save(record.withState(EnvironmentState.STOPPING, null));
      try {
        vm.get().stop(grace);
      } catch (VmException e) {
        saveStateAfterFailedStop(record, e);
        throw e;
      }
      EnvironmentShares.stop(home.files(name).runtime());
      store.save(brokenReason == null ? record.withState(EnvironmentState.STOPPED, null)
          : record.withState(EnvironmentState.BROKEN, brokenReason));
      return true;
    } catch (VmException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, "cannot stop " + name + ": " + e.getMessage(), e);
    }
  }

  /** Deletes an environment; a running one only with {@code force} (it is stopped first). */
  public void remove(EnvName name, boolean force) {
    if (owner != null) {
      owner.remove(name, force);
      return;
    }
    store.get(name);
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      Optional<VirtualMachine> vm = VirtualMachine.find(home.files(name).runtime());
      if (vm.isPresent()) {
        if (!force) {
          throw new EnvException(
              EnvException.Code.FAILED_PRECONDITION,
              name + " is running; stop it first (linux stop " + name + ") or use --force");
        }
        vm.get().stop(Duration.ofSeconds(2));
      }
      EnvironmentShares.stop(home.files(name).runtime());
      store.remove(name);
    } catch (VmException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, "cannot stop " + name + ": " + e.getMessage(), e);
    }
  }

  /** Writes the environment's filesystem to {@code target} as a tar (see {@link EnvironmentExporter}). */
  public void export(EnvName name, java.nio.file.Path target, ExportFormat format) {
    new EnvironmentExporter(home, store, progress, this::connect).export(name, target, format);
  }

  /** Writes the environment's filesystem to {@code out}, which is left open. */
  public void export(EnvName name, java.io.OutputStream out, ExportFormat format) {
    new EnvironmentExporter(home, store, progress, this::connect).export(name, out, format);
  }

  /** Creates an environment from a rootfs tarball file (see {@link RootfsImporter}). */
  public EnvironmentRecord importRootfs(EnvName name, java.nio.file.Path tarball, CreateOptions options) {
    return withAddress(new RootfsImporter(store, progress).importFile(name, tarball, options));
  }

  /** Creates an environment from a rootfs tarball read from {@code in}. */
  public EnvironmentRecord importRootfs(EnvName name, java.io.InputStream in, CreateOptions options) {
    return withAddress(new RootfsImporter(store, progress).importStream(name, in, options));
  }

  public List<EnvironmentStatus> list() {
    List<EnvironmentRecord> records = store.list();
    Map<Path, Long> used = DiskUsage.allocatedBytes(records.stream().map(r -> home.files(r.envName()).disk()).toList());
    List<EnvironmentStatus> result = new ArrayList<>();
    for (EnvironmentRecord record : records) {
      EnvironmentFiles files = home.files(record.envName());
      Optional<Long> pid = VirtualMachine.find(files.runtime()).map(VirtualMachine::pid);
      result.add(new EnvironmentStatus(record, EnvironmentState.effective(record.state(), pid.isPresent(), underWay(record)), pid,
          used.getOrDefault(files.disk(), 0L)));
    }
    return result;
  }

  // --- shares (see EnvironmentShares) ---

  /** Stores share changes for {@code name}; they apply the next time it boots. */
  public EnvironmentRecord update(EnvName name, ShareChanges changes) {
    store.get(name);
    return changes.update(store, name, hostHome());
  }

  /** The environment's shares with their state, and what keeps any from being served. */
  public EnvironmentShares.Report shares(EnvName name) {
    EnvironmentRecord record = store.get(name);
    return EnvironmentShares.report(record, home.files(name), hostHome(), isRunning(name));
  }

  /** The shares paths translate through: those served while it runs, else those of its next boot. */
  public List<dev.linux.share.ShareSpec> activeShares(EnvName name) {
    EnvironmentRecord record = store.get(name);
    return EnvironmentShares.active(record, home.files(name), hostHome(), isRunning(name));
  }

  private static Optional<Path> hostHome() {
    return EnvironmentShares.hostHome(System.getenv());
  }

  // --- settings and more lifecycle: the logic lives in the classes named, these only delegate ---

  /** Stores new settings for {@code name}; they apply the next time it boots. */
  public EnvironmentRecord update(EnvName name, EnvironmentSettings settings) {
    return settings.update(store, name);
  }

  public boolean isRunning(EnvName name) {
    return VirtualMachine.find(home.files(name).runtime()).isPresent();
  }

  /** Stops the environment if it is running, then boots it (with its current settings). */
  public void restart(EnvName name, Duration grace) {
    stop(name, grace);
    start(name);
  }

  /** Stops every running environment, in parallel; returns the names of those it stopped. */
  public List<EnvName> stopAll(Duration grace) {
    if (owner != null) {
      return owner.stopAll(grace);
    }
    return new EnvironmentShutdown(this, store).stopAll(grace);
  }

  public EnvironmentInspection inspect(EnvName name) {
    return new EnvironmentInspector(store).inspect(name, this::describeIfRunning);
  }

  /** "already exists" for {@code name}, saying why it is broken and how to remove it if it is damaged. */
  public EnvException alreadyExists(EnvName name) {
    return store.alreadyExists(name);
  }

  public ConsoleLog consoleLog(EnvName name) {
    store.get(name);
    return new ConsoleLog(home.files(name).consoleLog());
  }

  /**
   * Grows a stopped environment's disk and its filesystem to {@code size}, data intact, and
   * records the new size. Shrinking is refused; growing to the current size changes nothing.
   */
  public EnvironmentRecord resize(EnvName name, ByteSize size) {
    store.usable(name);
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      EnvironmentRecord record = store.usable(name);
      if (VirtualMachine.find(home.files(name).runtime()).isPresent()) {
        throw new EnvException(EnvException.Code.FAILED_PRECONDITION,
            name + " is running; stop it first (linux stop " + name + "), then resize it");
      }
      if (size.bytes() < record.diskBytes()) {
        throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "cannot shrink " + name + " from "
            + new ByteSize(record.diskBytes()).human() + " to " + size.human() + ": disks can only grow");
      }
      try {
        dev.linux.env.ext4.Ext4Resizer.grow(home.files(name).disk(), size.bytes());
      } catch (IllegalArgumentException e) {
        throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "cannot resize " + name + ": " + e.getMessage(), e);
      } catch (IOException e) {
        throw new EnvException(EnvException.Code.IO, "cannot resize " + name + ": " + e.getMessage(), e);
      }
      EnvironmentRecord resized = record.withDiskBytes(size.bytes());
      store.save(resized);
      return resized;
    }
  }

  /** Renames a stopped environment. */
  public EnvironmentRecord rename(EnvName from, EnvName to) {
    return new EnvironmentRenamer(store).rename(from, to);
  }

  /** Copies a stopped environment (its disk, sparsely) into a new one. */
  public EnvironmentRecord cloneEnvironment(EnvName source, EnvName target) {
    return withAddress(new EnvironmentCloner(store, EnvironmentCloner.CP).cloneEnvironment(source, target));
  }

  /** The new environment of {@code record} with an address of its own. */
  private EnvironmentRecord withAddress(EnvironmentRecord record) {
    try (EnvironmentStore.Lock lock = store.lock(record.envName())) {
      return AddressAllocator.ensure(store, store.get(record.envName()));
    }
  }

  /** Writes {@code source} to {@code guestPath} in the environment, booting it if needed. */
  public String copyToGuest(EnvName name, java.io.InputStream source, String guestPath, java.util.OptionalInt mode, String sourceName) {
    try (GuestAgent agent = connect(name)) {
      return GuestFileCopy.copyIn(agent, name, source, guestPath, mode, sourceName);
    }
  }

  /** Streams the environment's file {@code guestPath} to {@code target}, booting it if needed. */
  public void copyFromGuest(EnvName name, String guestPath, java.io.OutputStream target) {
    try (GuestAgent agent = connect(name)) {
      GuestFileCopy.copyOut(agent, name, guestPath, target);
    }
  }

  /** Copies the environment's file {@code guestPath} to the host; returns the host file written. */
  public Path copyFromGuest(EnvName name, String guestPath, Path hostPath) {
    try (GuestAgent agent = connect(name)) {
      return GuestFileCopy.copyOut(agent, name, guestPath, hostPath);
    }
  }

  private VirtualMachine running(EnvName name) {
    store.usable(name);
    EnvironmentFiles files = home.files(name);
    Optional<VirtualMachine> vm = VirtualMachine.find(files.runtime());
    if (vm.isPresent()) {
      EnvironmentShares.lost(files.runtime()).ifPresent(reason ->
          progress.notice("warning: " + reason + " (restart it: linux restart " + name + ")"));
      return vm.get();
    }
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      vm = VirtualMachine.find(files.runtime());
      if (vm.isPresent()) {
        return vm.get();
      }
      // Read again under the lock: settings may have changed while this waited for it.
      EnvironmentRecord record = AddressAllocator.ensure(store, store.usable(name));
      store.save(record.withState(EnvironmentState.STARTING, null));
      try {
        AcceleratorChoice accel = AcceleratorProbe.host().choose();
        if (!accel.notice().isEmpty() && accel.accelerator() == dev.linux.vm.Accelerator.TCG) {
          progress.notice(accel.notice());
        }
        progress.notice("Starting " + name + "...");
        dev.linux.vm.VmSpec spec = boot.spec(record, files, accel.accelerator());
        // The file servers first: QEMU connects to their sockets as it starts.
        EnvironmentShares.Boot shares = EnvironmentShares.start(record, files, hostHome(),
            EnvironmentShares.hidden(home), progress::notice);
        VirtualMachine started;
        try {
          started = VirtualMachine.start(spec.withShares(shares.mounts()));
        } catch (VmException | RuntimeException e) {
          shares.close();
          EnvironmentShares.stop(files.runtime());
          throw e;
        }
        try {
          AgentInfo info = started.waitUntilReady(
              accel.accelerator() == dev.linux.vm.Accelerator.TCG ? BOOT_TIMEOUT_TCG : BOOT_TIMEOUT_KVM);
          if (!info.environmentReady()) {
            throw new VmException("its disk cannot be mounted: " + notMountedReason(started));
          }
        } catch (VmException e) {
          // A VM that never became ready must not linger as "running": the next command boots afresh.
          try {
            started.stop(Duration.ZERO);
          } catch (VmException stopFailed) {
            e.addSuppressed(stopFailed);
          }
          shares.close();
          EnvironmentShares.stop(files.runtime());
          throw e;
        }
        store.save(record.withState(EnvironmentState.RUNNING, null).withLastStarted(Instant.now()));
        return started;
      } catch (IOException | RuntimeException e) {
        saveBroken(record, e);
        discardRuntime(files.runtime());
        throw e;
      }
    } catch (VmException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, "cannot start " + name + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot start " + name + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot start " + name + ": " + e.getCause().getMessage(), e);
    }
  }

  /**
   * Why the guest agent answers but the environment's disk is not mounted (truncated, not EXT4):
   * the agent's own reason, e.g. {@code mount /dev/vda (ext4) on /env: invalid argument}.
   */
  private static String notMountedReason(VirtualMachine vm) {
    try (GuestAgent agent = vm.connectAgent()) {
      String reason = agent.describeEnvironment().reason();
      return reason.isBlank() ? "the guest gave no reason (see linux logs " + vm.name() + ")" : reason.strip();
    } catch (AgentException e) {
      return e.getMessage();
    }
  }

  /**
   * After a failed boot with no VM left: the file servers stopped and the runtime directory gone,
   * so nothing stale suggests a VM (issue 16, 11). Best effort: the next boot cleans again.
   */
  private static void discardRuntime(Path runtime) {
    if (VirtualMachine.find(runtime).isPresent()) {
      return;
    }
    EnvironmentShares.stop(runtime);
    try {
      if (Files.isDirectory(runtime, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.delete(runtime);
      }
    } catch (IOException ignored) {
      // a leftover directory is harmless; the next start replaces its files
    }
  }

  /** Records why a boot failed (under the lock); a failure to record it travels with {@code failure}. */
  private void saveBroken(EnvironmentRecord record, Exception failure) {
    String message = failure.getMessage() == null || failure.getMessage().isBlank()
        ? failure.getClass().getSimpleName() : failure.getMessage().strip().lines().findFirst().orElseThrow();
    try {
      store.save(record.withState(EnvironmentState.BROKEN, message));
    } catch (RuntimeException saveFailed) {
      failure.addSuppressed(saveFailed);
    }
  }

  /** After a failed stop (under the lock): {@code running} if its VM still runs, else {@code stopped}. */
  private void saveStateAfterFailedStop(EnvironmentRecord record, VmException failure) {
    boolean stillRunning = VirtualMachine.find(home.files(record.envName()).runtime()).isPresent();
    try {
      store.save(record.withState(stillRunning ? EnvironmentState.RUNNING : EnvironmentState.STOPPED, null));
    } catch (RuntimeException saveFailed) {
      failure.addSuppressed(saveFailed);
    }
  }

  /** Whether a start or stop of the record's environment holds its lock now (only asked when it matters). */
  private boolean underWay(EnvironmentRecord record) {
    return (record.state() == EnvironmentState.STARTING || record.state() == EnvironmentState.STOPPING)
        && store.isLocked(record.envName());
  }

  private static String label(EnvName name) {
    return name.value().length() <= 16 ? name.value() : name.value().substring(0, 16);
  }
}
