package dev.linux.env.daemon;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.VmOwner;
import dev.linux.env.daemon.proto.DaemonGrpc;
import dev.linux.env.daemon.proto.ExitRequest;
import dev.linux.env.daemon.proto.RemoveRequest;
import dev.linux.env.daemon.proto.StartRequest;
import dev.linux.env.daemon.proto.StartResponse;
import dev.linux.env.daemon.proto.StatusRequest;
import dev.linux.env.daemon.proto.StatusResponse;
import dev.linux.env.daemon.proto.StopAllRequest;
import dev.linux.env.daemon.proto.StopRequest;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.AgentException;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.GuestAgent;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A client of the per-user daemon: the CLI's {@link VmOwner}. {@link #connect} starts the daemon
 * when none runs (through the launcher the caller supplies) and waits until it answers.
 */
public final class DaemonClient implements VmOwner, AutoCloseable {

  private static final Duration LAUNCH_WAIT = Duration.ofSeconds(30);
  private static final Duration QUICK_CALL = Duration.ofSeconds(10);
  /** Deadline of calls that may shut a guest down (its grace, then sync and unmount). */
  private static final Duration STOP_SLACK = Duration.ofSeconds(60);

  /** Starts a daemon process in the background (its own session, output to {@code log}). */
  @FunctionalInterface
  public interface Launcher {
    /** @return the daemon's process, so a daemon that fails at once is noticed at once */
    Process launch(DaemonFiles files) throws IOException;
  }

  private final DaemonFiles files;
  private final ManagedChannel channel;
  private final DaemonGrpc.DaemonBlockingStub stub;
  private final Progress progress;

  private DaemonClient(DaemonFiles files, Progress progress) {
    this.files = files;
    this.progress = progress;
    this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(files.socket().toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(Loop.GROUP)
        .usePlaintext()
        .overrideAuthority("localhost")
        .build();
    this.stub = DaemonGrpc.newBlockingStub(channel);
  }

  private static final class Loop {
    static {
      dev.linux.vm.internal.QuietLogs.install();
    }

    static final EventLoopGroup GROUP = new EpollEventLoopGroup(1, new DefaultThreadFactory("daemon-client", true));
  }

  /** The daemon of {@code home}, started with {@code launcher} if none answers. */
  public static DaemonClient connect(LinuxHome home, Progress progress, Launcher launcher) {
    DaemonFiles files = DaemonFiles.of(home);
    DaemonClient client = new DaemonClient(files, progress);
    try {
      Optional<StatusResponse> running = client.ask(false);
      if (running.isPresent()) {
        if (running.get().getBuild().equals(Daemon.BUILD)) {
          return client;
        }
        // A daemon from before a rebuild: its VMs keep running and the new one adopts them.
        client.exit(false);
      }
      Process daemon;
      try {
        home.ensureRuntime();
        daemon = launcher.launch(files);
      } catch (IOException e) {
        throw new EnvException(EnvException.Code.UNAVAILABLE, "cannot start the linux daemon: " + e.getMessage(), e);
      }
      long deadline = System.nanoTime() + LAUNCH_WAIT.toNanos();
      while (System.nanoTime() - deadline < 0) {
        if (client.ask(false).isPresent()) {
          return client;
        }
        // Exit status 0: another client's daemon won the race for the lock and will answer.
        if (!daemon.isAlive() && daemon.exitValue() != 0) {
          throw new EnvException(EnvException.Code.UNAVAILABLE, "the linux daemon failed to start (exit status "
              + daemon.exitValue() + "): " + lastLine(files.log()) + " (see " + files.log() + ")");
        }
        sleep(Duration.ofMillis(50));
      }
      throw new EnvException(EnvException.Code.UNAVAILABLE,
          "the linux daemon did not answer within " + LAUNCH_WAIT.toSeconds() + " s (see " + files.log() + ")");
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** The daemon of {@code home} once it answers (one just started elsewhere), waiting up to {@code timeout}. */
  public static DaemonClient await(LinuxHome home, Progress progress, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<DaemonClient> client = ifRunning(home, progress);
      if (client.isPresent()) {
        return client.get();
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new EnvException(EnvException.Code.UNAVAILABLE,
            "the linux daemon did not answer within " + timeout.toSeconds() + " s");
      }
      sleep(Duration.ofMillis(20));
    }
  }

  /** The daemon of {@code home} if one answers; never starts one. */
  public static Optional<DaemonClient> ifRunning(LinuxHome home, Progress progress) {
    return ifRunning(home, progress, false);
  }

  /**
   * The daemon of {@code home} if one answers, asked {@code passive}ly (a look that does not keep
   * an idle daemon alive, for {@code linux daemon status}); never starts one.
   */
  public static Optional<DaemonClient> ifRunning(LinuxHome home, Progress progress, boolean passive) {
    DaemonClient client = new DaemonClient(DaemonFiles.of(home), progress);
    if (client.ask(passive).isPresent()) {
      return Optional.of(client);
    }
    client.close();
    return Optional.empty();
  }

  /** The daemon's status, or empty when none answers on the socket. */
  private Optional<StatusResponse> ask(boolean passive) {
    if (!Files.exists(files.socket())) {
      return Optional.empty();
    }
    try {
      return Optional.of(stub.withDeadlineAfter(2, TimeUnit.SECONDS)
          .status(StatusRequest.newBuilder().setPassive(passive).build()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return Optional.empty();
      }
      throw DaemonErrors.fromStatus(e);
    }
  }

  public DaemonFiles files() {
    return files;
  }

  /** Who the daemon is and what it runs. */
  public DaemonStatus status() {
    return status(false);
  }

  /**
   * Who the daemon is and what it runs; a {@code passive} look does not count as a client being
   * about (the daemon may still exit for lack of work).
   */
  public DaemonStatus status(boolean passive) {
    StatusResponse r = call(() -> stub.withDeadlineAfter(QUICK_CALL.toNanos(), TimeUnit.NANOSECONDS)
        .status(StatusRequest.newBuilder().setPassive(passive).build()));
    return new DaemonStatus(r.getPid(), r.getVersion(), Instant.ofEpochMilli(r.getStartedUnixMillis()), files.socket(),
        r.getEnvironmentsList().stream()
            .map(e -> new DaemonStatus.Running(EnvName.of(e.getName()), e.getState(), e.getVmPid(), e.getOpenCalls(),
                e.getSessionProcesses(), Duration.ofMillis(e.getIdleMillis()), e.getIdleTimeoutSeconds()))
            .toList());
  }

  @Override
  public void start(EnvName name) {
    call(() -> {
      Iterator<StartResponse> responses = stub.start(StartRequest.newBuilder().setName(name.value()).build());
      while (responses.hasNext()) {
        StartResponse r = responses.next();
        if (!r.getNotice().isEmpty()) {
          progress.notice(r.getNotice());
        }
      }
      return null;
    });
  }

  @Override
  public GuestAgent connect(EnvName name) {
    start(name);
    return AgentChannel.relayed(files.socket(), name.value());
  }

  /** The relay never boots: it answers UNAVAILABLE for an environment that does not run. */
  @Override
  public Optional<EnvironmentInfo> describeIfRunning(EnvName name) {
    try (GuestAgent agent = AgentChannel.relayed(files.socket(), name.value())) {
      return Optional.of(agent.describeEnvironment());
    } catch (AgentException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean stop(EnvName name, Duration grace) {
    return call(() -> stub.withDeadlineAfter(grace.plus(STOP_SLACK).toNanos(), TimeUnit.NANOSECONDS)
        .stop(StopRequest.newBuilder().setName(name.value()).setGraceMillis(grace.toMillis()).build())
        .getWasRunning());
  }

  @Override
  public List<EnvName> stopAll(Duration grace) {
    return call(() -> stub.withDeadlineAfter(grace.plus(STOP_SLACK).toNanos(), TimeUnit.NANOSECONDS)
        .stopAll(StopAllRequest.newBuilder().setGraceMillis(grace.toMillis()).build())
        .getStoppedList().stream().map(EnvName::of).toList());
  }

  @Override
  public void remove(EnvName name, boolean force) {
    call(() -> stub.withDeadlineAfter(STOP_SLACK.toNanos(), TimeUnit.NANOSECONDS)
        .remove(RemoveRequest.newBuilder().setName(name.value()).setForce(force).build()));
  }

  /**
   * Asks the daemon to exit and waits until it has; running environments keep running unless
   * {@code stopEnvironments}.
   */
  public void exit(boolean stopEnvironments) {
    call(() -> stub.withDeadlineAfter(STOP_SLACK.toNanos(), TimeUnit.NANOSECONDS)
        .exit(ExitRequest.newBuilder().setStopEnvironments(stopEnvironments).build()));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (Files.exists(files.socket()) && System.nanoTime() - deadline < 0) {
      sleep(Duration.ofMillis(50));
    }
  }

  /** The last non-blank line of {@code log} that is not a JVM warning, or a placeholder. */
  private static String lastLine(java.nio.file.Path log) {
    try {
      List<String> lines = Files.readAllLines(log).stream()
          .filter(l -> !l.isBlank() && !l.startsWith("WARNING:") && !l.startsWith("\tat ")).toList();
      return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1).strip();
    } catch (IOException | java.io.UncheckedIOException e) {
      return "no log";
    }
  }

  private static <T> T call(java.util.function.Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw DaemonErrors.fromStatus(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvException(EnvException.Code.UNAVAILABLE, "interrupted while waiting for the linux daemon", e);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
