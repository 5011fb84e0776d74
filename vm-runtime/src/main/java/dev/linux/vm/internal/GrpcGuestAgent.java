package dev.linux.vm.internal;

import dev.linux.guest.proto.GuestAgentGrpc;
import dev.linux.guest.proto.PingRequest;
import dev.linux.guest.proto.PingResponse;
import dev.linux.guest.proto.ShutdownRequest;
import dev.linux.guest.proto.WindowSize;
import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@link GuestAgent} over gRPC on the VM's agent socket. */
public final class GrpcGuestAgent implements GuestAgent {
  /** Extra time the Shutdown call gets beyond the grace period, for sync and unmount. */
  private static final Duration SHUTDOWN_SLACK = Duration.ofSeconds(30);

  private final ManagedChannel channel;
  private final AutoCloseable lock;
  private final GuestAgentGrpc.GuestAgentBlockingStub blocking;
  private final GuestAgentGrpc.GuestAgentStub async;

  GrpcGuestAgent(ManagedChannel channel, AutoCloseable lock) {
    this.channel = Objects.requireNonNull(channel);
    this.lock = lock;
    this.blocking = GuestAgentGrpc.newBlockingStub(channel);
    this.async = GuestAgentGrpc.newStub(channel);
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
  public static GuestAgent connect(
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
          r.getKernelRelease());
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

  @Override
  public void close() {
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
    if (spec.rows() > 0 || spec.cols() > 0) {
      b.setWindow(WindowSize.newBuilder().setRows(spec.rows()).setCols(spec.cols()));
    }
    return b.build();
  }
}
