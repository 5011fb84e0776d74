package dev.linux.vm.internal;

import dev.linux.guest.proto.CopyInHeader;
import dev.linux.guest.proto.CopyOutRequest;
import dev.linux.guest.proto.CopyOutResponse;
import dev.linux.guest.proto.DescribeEnvironmentRequest;
import dev.linux.guest.proto.DescribeEnvironmentResponse;
import dev.linux.guest.proto.EnsureUserRequest;
import dev.linux.guest.proto.EnsureUserResponse;
import dev.linux.guest.proto.ExportRootRequest;
import dev.linux.guest.proto.ExportRootResponse;
import dev.linux.guest.proto.FileInfo;
import dev.linux.guest.proto.GuestAgentGrpc;
import dev.linux.guest.proto.ListProcessesRequest;
import dev.linux.guest.proto.StatRequest;
import dev.linux.guest.proto.PingRequest;
import dev.linux.guest.proto.PingResponse;
import dev.linux.guest.proto.SetTimeRequest;
import dev.linux.guest.proto.ShutdownRequest;
import dev.linux.guest.proto.WindowSize;
import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.EventSubscription;
import dev.linux.vm.ExecSession;
import dev.linux.vm.FileStat;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestEvent;
import dev.linux.vm.GuestProcess;
import dev.linux.vm.GuestUser;
import dev.linux.vm.NewUser;
import dev.linux.vm.ProcessSpec;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@link GuestAgent} over gRPC on the VM's agent socket. */
public final class GrpcGuestAgent implements GuestAgent {
  /** Extra time the Shutdown call gets beyond the grace period, for sync and unmount. */
  private static final Duration SHUTDOWN_SLACK = Duration.ofSeconds(30);

  private final ManagedChannel channel;
  private final AutoCloseable lock;
  /** False for a view on a channel someone else owns: closing the view leaves the channel open. */
  private final boolean ownsChannel;
  private final GuestAgentGrpc.GuestAgentBlockingStub blocking;
  private final GuestAgentGrpc.GuestAgentStub async;

  GrpcGuestAgent(ManagedChannel channel, AutoCloseable lock) {
    this(channel, lock, true);
  }

  private GrpcGuestAgent(ManagedChannel channel, AutoCloseable lock, boolean ownsChannel) {
    this.channel = Objects.requireNonNull(channel);
    this.lock = lock;
    this.ownsChannel = ownsChannel;
    this.blocking = GuestAgentGrpc.newBlockingStub(channel);
    this.async = GuestAgentGrpc.newStub(channel);
  }

  /** The channel this agent talks over (the daemon relays other clients' calls onto it). */
  public ManagedChannel channel() {
    return channel;
  }

  /** Another agent on this one's channel, whose {@code close} leaves the channel open. */
  public GrpcGuestAgent view() {
    return new GrpcGuestAgent(channel, null, false);
  }

  /**
   * An agent reached through a relay (the daemon) at {@code socket}: no session hello (that is
   * the relay's business with the guest), and every call carries {@code header: value} so the
   * relay knows which VM it is for. No Ping here: the relay answers for the VM.
   */
  public static GrpcGuestAgent relayed(Path socket, String header, String value) {
    return new GrpcGuestAgent(AgentTransport.relayChannel(socket, header, value), null);
  }

  /** Time the first Ping gets beyond the hello, for the HTTP/2 handshake and the call itself. */
  private static final Duration FIRST_PING_SLACK = Duration.ofSeconds(10);

  /**
   * Connects to the agent socket, first taking the VM's agent lock (waiting up to {@code lockWait},
   * telling {@code notice} once if it has to wait), then checks the connection with a Ping.
   *
   * <p>Every connection starts with vminitd's session hello ({@link HelloHandler}), so output the
   * guest wrote for an earlier connection never reaches this one's HTTP/2 client; a guest that
   * does not answer the hello within {@code helloTimeout} fails the connect with UNAVAILABLE. The
   * Ping is the one check that the guest's HTTP/2 server answers too: the channel connects lazily,
   * and without it a broken connection would surface only in the caller's first real call.
   */
  public static GrpcGuestAgent connect(
      Path socket, Path lockFile, Duration lockWait, Duration helloTimeout, Consumer<String> notice)
      throws AgentException {
    AgentLock lock = AgentLock.acquire(lockFile, lockWait, notice);
    GrpcGuestAgent agent = null;
    try {
      agent = new GrpcGuestAgent(AgentTransport.channel(socket, helloTimeout), lock);
      agent.firstPing(helloTimeout.plus(FIRST_PING_SLACK));
      return agent;
    } catch (AgentException | RuntimeException e) {
      if (agent != null) {
        agent.channel.shutdownNow();
      }
      lock.close();
      throw e instanceof AgentException a ? a : AgentErrors.map(e);
    }
  }

  /** A Ping that fails at once if the connection fails (no waiting for a later connection). */
  private void firstPing(Duration timeout) throws AgentException {
    try {
      blocking
          .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .ping(PingRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public AgentInfo ping(Duration timeout) throws AgentException {
    try {
      PingResponse r =
          blocking
              .withWaitForReady()
              .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
              .ping(PingRequest.getDefaultInstance());
      return new AgentInfo(
          r.getVersion(),
          Duration.ofNanos(r.getUptimeNanos()),
          Duration.ofNanos(r.getReadyNanos()),
          r.getEnvironmentReady(),
          r.getKernelRelease(),
          r.getAgentHeapInuseBytes(),
          r.getAgentSysBytes(),
          r.getAgentGoroutines(),
          r.getAgentMemoryLimitBytes(),
          r.getAgentProcesses());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public ExecSession exec(ProcessSpec spec, OutputStream stdout, OutputStream stderr)
      throws AgentException {
    GrpcExecSession session = new GrpcExecSession(stdout, stderr);
    try {
      async.withWaitForReady().exec(session);
      session.sendStart(toProto(spec));
    } catch (RuntimeException e) {
      session.close();
      throw AgentErrors.map(e);
    }
    session.awaitStarted();
    return session;
  }

  @Override
  public void shutdown(Duration grace) throws AgentException {
    int graceMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(0, grace.toMillis()));
    try {
      blocking
          .withWaitForReady()
          .withDeadlineAfter(grace.plus(SHUTDOWN_SLACK).toNanos(), TimeUnit.NANOSECONDS)
          .shutdown(ShutdownRequest.newBuilder().setGraceMillis(graceMillis).build());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  /** Deadline of the short calls (process list, user creation, stat). */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private GuestAgentGrpc.GuestAgentBlockingStub quick() {
    return blocking.withWaitForReady().withDeadlineAfter(CALL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public List<GuestProcess> listProcesses() throws AgentException {
    try {
      return quick().listProcesses(ListProcessesRequest.getDefaultInstance()).getProcessesList().stream()
          .map(p -> new GuestProcess(p.getPid(), p.getPpid(), p.getPgid(), p.getSid(), p.getUid(),
              p.getState(), p.getArgsList(), p.getExecSession(), p.getFromExec()))
          .toList();
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public GuestUser ensureUser(NewUser user) throws AgentException {
    try {
      EnsureUserResponse r =
          quick().ensureUser(EnsureUserRequest.newBuilder()
              .setName(user.name()).setUid(user.uid()).setGid(user.gid())
              .setShell(user.shell()).setHome(user.home()).setNoSudo(!user.sudo())
              .setGecos(user.gecos()).build());
      return new GuestUser(r.getCreated(), r.getUid(), r.getGid(), r.getHome(), r.getShell(), r.getSudo());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public EnvironmentInfo describeEnvironment() throws AgentException {
    try {
      DescribeEnvironmentResponse r = quick().describeEnvironment(DescribeEnvironmentRequest.getDefaultInstance());
      return new EnvironmentInfo(r.getReady(), r.getReason(),
          r.getDefaultUser().isEmpty() ? Optional.empty() : Optional.of(r.getDefaultUser()),
          r.getBootCommand(), r.getSystemd(), r.getGeneratedFilesList(), r.getBootCommandStatus(),
          r.getSystemdState(), r.getAutomount(), r.getConfigProblemsList());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public FileStat stat(String path, boolean followLinks) throws AgentException {
    try {
      return toStat(quick().stat(StatRequest.newBuilder().setPath(path).setNoFollow(!followLinks).build()).getInfo());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public long copyIn(InputStream source, String path, int mode, int uid, int gid) throws AgentException {
    try {
      return GrpcCopyIn.run(async, source,
          CopyInHeader.newBuilder().setPath(path).setMode(mode).setUid(uid).setGid(gid).build());
    } catch (RuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public FileStat copyOut(String path, OutputStream target) throws AgentException {
    // A cancellable context, so that a failing target ends the call instead of leaving it open.
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<CopyOutResponse> responses =
          blocking.withWaitForReady().copyOut(CopyOutRequest.newBuilder().setPath(path).build());
      FileStat stat = null;
      while (responses.hasNext()) {
        CopyOutResponse r = responses.next();
        switch (r.getKindCase()) {
          case HEADER -> stat = toStat(r.getHeader());
          case DATA -> r.getData().writeTo(target);
          case KIND_NOT_SET -> {}
        }
      }
      target.flush();
      if (stat == null) {
        throw new AgentException(AgentException.Code.INTERNAL, "copy out: the guest sent no file header");
      }
      return stat;
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    } catch (IOException e) {
      throw new AgentException(AgentException.Code.INTERNAL, "copy out: writing failed: " + e.getMessage(), e);
    } finally {
      call.detach(previous);
      call.cancel(null);
    }
  }

  @Override
  public long exportRoot(OutputStream target) throws AgentException {
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<ExportRootResponse> responses =
          blocking.withWaitForReady().exportRoot(ExportRootRequest.getDefaultInstance());
      long n = 0;
      while (responses.hasNext()) {
        var data = responses.next().getData();
        data.writeTo(target);
        n += data.size();
      }
      target.flush();
      return n;
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    } catch (IOException e) {
      throw new AgentException(AgentException.Code.INTERNAL, "export: writing failed: " + e.getMessage(), e);
    } finally {
      call.detach(previous);
      call.cancel(null);
    }
  }

  @Override
  public Duration setTime(Instant now) throws AgentException {
    long nanos = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
    try {
      return Duration.ofNanos(
          quick().setTime(SetTimeRequest.newBuilder().setUnixNanos(nanos).build()).getPreviousOffsetNanos());
    } catch (StatusRuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  @Override
  public EventSubscription events(Consumer<GuestEvent> listener) throws AgentException {
    Objects.requireNonNull(listener, "listener");
    try {
      return GrpcEvents.start(async, listener);
    } catch (RuntimeException e) {
      throw AgentErrors.map(e);
    }
  }

  private static FileStat toStat(FileInfo i) {
    return new FileStat(i.getPath(), i.getMode(), i.getUid(), i.getGid(), i.getSize(),
        Instant.ofEpochSecond(0, i.getMtimeNanos()), i.getLinkTarget());
  }

  @Override
  public void close() {
    if (!ownsChannel) {
      return;
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (lock != null) {
        try {
          lock.close();
        } catch (Exception ignored) {
          // the lock dies with its file descriptor anyway
        }
      }
    }
  }

  static dev.linux.guest.proto.ProcessSpec toProto(ProcessSpec spec) {
    var b =
        dev.linux.guest.proto.ProcessSpec.newBuilder()
            .addAllArgs(spec.args())
            .addAllEnv(spec.env())
            .setCwd(spec.cwd())
            .setUid(spec.uid())
            .setGid(spec.gid())
            .setTty(spec.tty());
    spec.groups().forEach(b::addSupplementaryGids);
    b.setUser(spec.user());
    if (spec.rows() > 0 || spec.cols() > 0) {
      b.setWindow(WindowSize.newBuilder().setRows(spec.rows()).setCols(spec.cols()));
    }
    return b.build();
  }
}
