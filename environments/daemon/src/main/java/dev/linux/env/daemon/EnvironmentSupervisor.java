package dev.linux.env.daemon;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.EnvironmentShares;
import dev.linux.env.EnvironmentShutdown;
import dev.linux.env.EnvironmentState;
import dev.linux.env.EnvironmentStore;
import dev.linux.env.Environments;
import dev.linux.env.GlobalConfig;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestProcess;
import dev.linux.vm.VirtualMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The daemon's running environments: boots and stops them, holds one shared agent connection per
 * VM, and keeps house once a second (notices VMs that died, reconnects broken connections, keeps
 * guest clocks in step, stops environments that stayed idle past their timeout).
 *
 * <p>Lifecycle operations of one environment are serialised by its {@link Supervised#lifecycle}
 * lock here, and across processes by the store's file lock that {@link Environments} takes.
 */
final class EnvironmentSupervisor implements AutoCloseable {

  private static final Duration LOCK_WAIT = Duration.ofSeconds(30);
  private static final Duration PROCESS_CHECK_INTERVAL = Duration.ofSeconds(2);
  private static final Duration CLOCK_SYNC_INTERVAL = Duration.ofSeconds(60);
  /** How often host ports found taken are tried again. */
  private static final Duration PORT_RETRY_INTERVAL = Duration.ofSeconds(1);
  /** Time processes get between SIGTERM and SIGKILL when an idle environment stops. */
  private static final Duration IDLE_STOP_GRACE = Duration.ofSeconds(5);

  private final LinuxHome home;
  private final DaemonLog log;
  private final Function<Progress, Environments> environments;
  /** For reading records only; lifecycle operations go through {@link Environments}. */
  private final EnvironmentStore store;
  private final Map<EnvName, Supervised> entries = new ConcurrentHashMap<>();

  EnvironmentSupervisor(LinuxHome home, DaemonLog log) {
    this(home, log, progress -> new Environments(home, progress, config(home).kernel()));
  }

  EnvironmentSupervisor(LinuxHome home, DaemonLog log, Function<Progress, Environments> environments) {
    this.home = home;
    this.log = log;
    this.environments = environments;
    this.store = new EnvironmentStore(home);
  }

  private static GlobalConfig config(LinuxHome home) {
    return GlobalConfig.load(home, System.getenv());
  }

  /** The entry of an existing environment (a name nobody created gets NOT_FOUND, not an entry). */
  private Supervised entry(EnvName name) {
    Supervised s = entries.get(name);
    if (s != null) {
      return s;
    }
    store.get(name);
    return entries.computeIfAbsent(name, Supervised::new);
  }

  /** Boots the environment unless it runs, and opens its shared agent connection. */
  void start(EnvName name, Progress progress) {
    Supervised s = entry(name);
    s.lifecycle.lock();
    try {
      if (s.serving() && vm(name).isPresent()) {
        s.touch();
        return;
      }
      s.state = EnvironmentState.STARTING;
      environments.apply(progress).start(name);
      adopt(s, progress);
      log.info(name + ": running (VM pid " + s.vmPid + ")" + shares(name));
    } catch (RuntimeException e) {
      closeChannel(s);
      s.state = EnvironmentState.STOPPED;
      throw e;
    } finally {
      s.lifecycle.unlock();
    }
  }

  /**
   * A running environment's shared connection for one relayed call. A VM that runs without a
   * connection (the daemon restarted) is adopted. A {@code session} call (a process, a copy) counts
   * as open until the lease is released and keeps the environment from idling; a quick question
   * (ping, describe, stat) does not, so a script polling {@code linux inspect} cannot keep an
   * environment up forever.
   */
  Lease lease(EnvName name, boolean session) {
    Supervised s;
    try {
      s = entry(name);
    } catch (EnvException e) {
      // To the agent API a missing environment is an unreachable agent: NOT_FOUND there means a
      // missing file or program (and `run` would report 127, command not found).
      throw new EnvException(EnvException.Code.UNAVAILABLE, e.getMessage(), e);
    }
    if (!s.serving()) {
      s.lifecycle.lock();
      try {
        if (!s.serving()) {
          if (vm(name).isEmpty()) {
            throw new EnvException(EnvException.Code.UNAVAILABLE, name + " was stopped before this command reached it; run the command again");
          }
          adopt(s, Progress.SILENT);
        }
      } finally {
        s.lifecycle.unlock();
      }
    }
    if (session) {
      s.openCalls.incrementAndGet();
      s.touch();
    }
    return new Lease(s, session);
  }

  /** One relayed call's hold on an environment's connection. */
  static final class Lease {
    private final Supervised entry;
    private final boolean session;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    Lease(Supervised entry, boolean session) {
      this.entry = entry;
      this.session = session;
    }

    io.grpc.Channel channel() {
      AgentChannel c = entry.channel;
      if (c == null) {
        throw new EnvException(EnvException.Code.UNAVAILABLE, entry.name + " stopped");
      }
      return c.grpcChannel();
    }

    void release() {
      if (released.compareAndSet(false, true) && session) {
        entry.touch();
        entry.openCalls.decrementAndGet();
      }
    }
  }

  /** Stops the environment cleanly; sessions on it end. False if it was not running. */
  boolean stop(EnvName name, Duration grace) {
    Supervised s = entry(name);
    s.lifecycle.lock();
    try {
      s.state = EnvironmentState.STOPPING;
      closeChannel(s);
      PortForwarder.forget(null, home.files(name).runtime());
      boolean stopped = environments.apply(Progress.SILENT).stop(name, grace);
      if (stopped) {
        log.info(name + ": stopped");
      }
      return stopped;
    } finally {
      s.state = EnvironmentState.STOPPED;
      s.lifecycle.unlock();
    }
  }

  /** Stops every running environment in parallel; returns those it stopped. */
  List<EnvName> stopAll(Duration grace) {
    List<EnvName> running = store.list().stream()
        .map(EnvironmentRecord::envName)
        .filter(name -> vm(name).isPresent())
        .toList();
    EnvironmentShutdown.inParallel(running, name -> stop(name, grace));
    return running;
  }

  /** Deletes the environment; a running one only with {@code force}. */
  void remove(EnvName name, boolean force) {
    Supervised s = entry(name);
    s.lifecycle.lock();
    try {
      if (force) {
        closeChannel(s);
      } else if (vm(name).isPresent()) {
        throw new EnvException(
            EnvException.Code.FAILED_PRECONDITION,
            name + " is running; stop it first (linux stop " + name + ") or use --force");
      }
      PortForwarder.forget(null, home.files(name).runtime());
      environments.apply(Progress.SILENT).remove(name, force);
      s.state = EnvironmentState.STOPPED;
      entries.remove(name, s);
    } finally {
      s.lifecycle.unlock();
    }
  }

  /** Takes over every VM that runs without a daemon (after a daemon crash or restart). */
  void adoptRunning() {
    for (EnvironmentRecord record : store.list()) {
      EnvName name = record.envName();
      if (vm(name).isEmpty()) {
        continue;
      }
      Supervised s = entry(name);
      s.lifecycle.lock();
      try {
        if (!s.serving()) {
          adopt(s, Progress.SILENT);
          log.info(name + ": adopted the running VM (pid " + s.vmPid + ")" + shares(name));
        }
      } catch (RuntimeException e) {
        log.info(name + ": cannot adopt the running VM: " + e.getMessage());
      } finally {
        s.lifecycle.unlock();
      }
    }
  }

  /** Opens the shared connection to a running VM; the caller holds the lifecycle lock. */
  private void adopt(Supervised s, Progress progress) {
    VirtualMachine vm = vm(s.name).orElseThrow(() ->
        new EnvException(EnvException.Code.UNAVAILABLE, s.name + " stopped while starting"));
    closeChannel(s);
    try {
      s.channel = vm.openAgentChannel(LOCK_WAIT, progress::notice);
    } catch (AgentException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, s.name + ": " + e.getMessage(), e);
    }
    s.vmPid = vm.pid();
    forwardPorts(s, vm);
    s.sessionProcesses = 0;
    // The first look lists processes and sets the clock at once: an adopted VM ran for a while
    // with no one keeping its clock in step. (nanoTime has no fixed origin: offsets, never 0.)
    long now = System.nanoTime();
    s.lastProcessCheckNanos = now - PROCESS_CHECK_INTERVAL.toNanos();
    s.lastClockSyncNanos = now - CLOCK_SYNC_INTERVAL.toNanos();
    s.touch();
    s.state = EnvironmentState.RUNNING;
  }

  /** Starts forwarding the guest's listening ports (user-mode network only); a failure is logged, not fatal. */
  private void forwardPorts(Supervised s, VirtualMachine vm) {
    Optional<EnvironmentRecord> record = store.find(s.name);
    if (record.isEmpty() || record.get().networkSettings().network() != dev.linux.vm.NetworkMode.USER) {
      return;
    }
    try {
      s.ports = PortForwarder.start(s.name, vm, s.channel.agent(), record.get().address(),
          record.get().networkSettings(), log);
    } catch (AgentException | RuntimeException e) {
      log.info(s.name + ": cannot follow the guest's ports; nothing is forwarded: " + e.getMessage());
    }
  }

  private static void closeChannel(Supervised s) {
    PortForwarder ports = s.ports;
    s.ports = null;
    if (ports != null) {
      ports.close();
    }
    AgentChannel c = s.channel;
    s.channel = null;
    if (c != null) {
      c.close();
    }
  }

  private Optional<VirtualMachine> vm(EnvName name) {
    return VirtualMachine.find(home.files(name).runtime());
  }

  /** One round of housekeeping over every running environment. */
  void tick() {
    for (Supervised s : entries.values()) {
      if (s.state != EnvironmentState.RUNNING || !s.lifecycle.tryLock()) {
        continue; // not ours to look after, or a lifecycle operation is under way
      }
      try {
        look(s);
      } catch (RuntimeException e) {
        log.info(s.name + ": housekeeping failed: " + e.getMessage());
      } finally {
        s.lifecycle.unlock();
      }
    }
  }

  private void look(Supervised s) {
    if (vm(s.name).isEmpty()) {
      log.info(s.name + ": the VM exited");
      closeChannel(s);
      PortForwarder.forget(null, home.files(s.name).runtime());
      s.state = EnvironmentState.STOPPED;
      return;
    }
    Optional<String> lost = EnvironmentShares.lost(home.files(s.name).runtime());
    if (lost.isPresent()) {
      if (s.shareStopPending.compareAndSet(false, true)) {
        // QEMU's vhost-user-fs device cannot reconnect to a new server, and guest calls on a share
        // whose server is gone hang: a clean stop beats a half-working environment.
        log.info(s.name + ": " + lost.get() + "; stopping it");
        Thread.ofVirtual().name("share-stop-" + s.name).start(() -> stopLostShare(s, lost.get()));
      }
      return;
    }
    if (s.channel == null || !s.channel.isOpen()) {
      log.info(s.name + ": agent connection lost; reconnecting");
      adopt(s, Progress.SILENT);
    }
    long now = System.nanoTime();
    GuestAgent agent = s.channel.agent();
    lookAfterPorts(s, now);
    if (now - s.lastProcessCheckNanos >= PROCESS_CHECK_INTERVAL.toNanos()) {
      s.lastProcessCheckNanos = now;
      try {
        s.sessionProcesses = (int) agent.listProcesses().stream().filter(GuestProcess::keepsEnvironmentBusy).count();
      } catch (AgentException e) {
        log.info(s.name + ": cannot list processes: " + e.getMessage());
      }
      if (s.sessionProcesses > 0) {
        s.touch();
      }
    }
    if (now - s.lastClockSyncNanos >= CLOCK_SYNC_INTERVAL.toNanos()) {
      s.lastClockSyncNanos = now;
      try {
        Duration offset = agent.setTime(Instant.now());
        if (offset.abs().compareTo(Duration.ofSeconds(2)) > 0) {
          log.info(s.name + ": guest clock was " + offset.toMillis() + " ms off; set");
        }
      } catch (AgentException e) {
        log.info(s.name + ": cannot set the guest clock: " + e.getMessage());
      }
    }
    if (s.openCalls.get() > 0) {
      s.touch();
      return;
    }
    long timeout = idleTimeoutSeconds(s.name);
    if (timeout >= 0 && s.idleNanos(now) >= Duration.ofSeconds(timeout).toNanos()
        && s.idleStopPending.compareAndSet(false, true)) {
      Thread.ofVirtual().name("idle-stop-" + s.name).start(() -> stopIdle(s, timeout));
    }
  }

  /** Stops an environment whose file server died, recording it as broken with the reason. */
  private void stopLostShare(Supervised s, String reason) {
    s.lifecycle.lock();
    try {
      if (s.state != EnvironmentState.RUNNING) {
        return;
      }
      s.state = EnvironmentState.STOPPING;
      closeChannel(s);
      environments.apply(Progress.SILENT).stop(s.name, IDLE_STOP_GRACE,
          reason + "; stopped (start it again: linux start " + s.name + ")");
      log.info(s.name + ": stopped after losing a share");
    } catch (RuntimeException e) {
      log.info(s.name + ": stop after losing a share failed: " + e.getMessage());
    } finally {
      s.state = EnvironmentState.STOPPED;
      s.shareStopPending.set(false);
      s.lifecycle.unlock();
    }
  }

  /** What the environment's boot shares, for the log. */
  private String shares(EnvName name) {
    Optional<EnvironmentShares.State> state = EnvironmentShares.read(home.files(name).runtime());
    if (state.isEmpty()) {
      return "; no shares";
    }
    StringBuilder b = new StringBuilder("; shares:");
    for (EnvironmentShares.Served share : state.get().shares()) {
      b.append(' ').append(share.host()).append(" at ").append(share.guest()).append(share.readOnly() ? " (ro" : " (")
          .append(share.readOnly() ? ", " : "").append(EnvironmentShares.alive(share) ? "pid " + share.pid() : "exited").append(')');
    }
    state.get().problems().forEach(problem -> b.append("; ").append(problem));
    return b.toString();
  }

  /**
   * Applies changed port settings ({@code linux set --forward-ports/--ignore-ports}) within a
   * second, tries taken host ports again every second (one monitor command per taken port), and restarts a forwarder whose event
   * stream ended.
   */
  private void lookAfterPorts(Supervised s, long now) {
    Optional<EnvironmentRecord> record = store.find(s.name);
    PortForwarder ports = s.ports;
    if (record.isEmpty() || ports == null) {
      return;
    }
    if (!ports.isActive()) {
      log.info(s.name + ": the guest's port events stopped; following them again");
      ports.close();
      s.ports = null;
      vm(s.name).ifPresent(vm -> forwardPorts(s, vm));
      return;
    }
    ports.settings(record.get().networkSettings());
    if (now - s.lastPortRetryNanos >= PORT_RETRY_INTERVAL.toNanos()) {
      s.lastPortRetryNanos = now;
      ports.retryTaken();
    }
  }

  /** Stops an idle environment, unless a session arrived since it was found idle. */
  private void stopIdle(Supervised s, long timeout) {
    s.lifecycle.lock();
    try {
      if (s.state != EnvironmentState.RUNNING || s.busy()
          || s.idleNanos(System.nanoTime()) < Duration.ofSeconds(timeout).toNanos()) {
        return;
      }
      log.info(s.name + ": idle for " + timeout + " s; stopping");
      stop(s.name, IDLE_STOP_GRACE);
    } catch (RuntimeException e) {
      log.info(s.name + ": idle stop failed: " + e.getMessage());
    } finally {
      s.idleStopPending.set(false);
      s.lifecycle.unlock();
    }
  }

  /** The environment's own idle timeout, else the global one; -1 never. */
  long idleTimeoutSeconds(EnvName name) {
    Optional<EnvironmentRecord> record = store.find(name);
    if (record.isPresent() && record.get().idleTimeoutSeconds() != null) {
      return record.get().idleTimeoutSeconds();
    }
    try {
      return config(home).idleTimeoutSeconds();
    } catch (RuntimeException e) {
      return -1; // an unreadable config never stops anything by surprise
    }
  }

  /** Whether any environment is running or changing state (then the daemon must stay). */
  boolean hasWork() {
    return entries.values().stream().anyMatch(s -> s.state != EnvironmentState.STOPPED || s.lifecycle.isLocked());
  }

  /** What the daemon runs right now, for {@code linux daemon status}. */
  List<Snapshot> snapshot() {
    long now = System.nanoTime();
    return entries.values().stream()
        .filter(s -> s.state != EnvironmentState.STOPPED)
        .sorted(java.util.Comparator.comparing(s -> s.name.value()))
        .map(s -> new Snapshot(s.name, s.state.label(), s.vmPid, s.openCalls.get(), s.sessionProcesses,
            Duration.ofNanos(s.idleNanos(now)), s.state == EnvironmentState.RUNNING ? idleTimeoutSeconds(s.name) : -1))
        .toList();
  }

  record Snapshot(EnvName name, String state, long vmPid, int openCalls, int sessionProcesses, Duration idle, long idleTimeoutSeconds) {}

  /** Lets go of every connection; the VMs keep running for the next daemon to adopt. */
  @Override
  public void close() {
    entries.values().forEach(EnvironmentSupervisor::closeChannel);
  }
}
