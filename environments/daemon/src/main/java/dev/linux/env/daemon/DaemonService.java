package dev.linux.env.daemon;

import dev.linux.env.EnvName;
import dev.linux.env.Progress;
import dev.linux.env.daemon.proto.DaemonGrpc;
import dev.linux.env.daemon.proto.ExitRequest;
import dev.linux.env.daemon.proto.ExitResponse;
import dev.linux.env.daemon.proto.ManagedEnvironment;
import dev.linux.env.daemon.proto.RemoveRequest;
import dev.linux.env.daemon.proto.RemoveResponse;
import dev.linux.env.daemon.proto.StartRequest;
import dev.linux.env.daemon.proto.StartResponse;
import dev.linux.env.daemon.proto.StatusRequest;
import dev.linux.env.daemon.proto.StatusResponse;
import dev.linux.env.daemon.proto.StopAllRequest;
import dev.linux.env.daemon.proto.StopAllResponse;
import dev.linux.env.daemon.proto.StopRequest;
import dev.linux.env.daemon.proto.StopResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.Supplier;

/** The daemon's own API: a thin adapter from gRPC to the {@link EnvironmentSupervisor}. */
final class DaemonService extends DaemonGrpc.DaemonImplBase {

  private final EnvironmentSupervisor supervisor;
  private final long startedMillis;
  private final String version;
  private final Runnable exit;
  private final Runnable activity;

  /** @param activity tells the daemon a client is about (a status that is not passive) */
  DaemonService(EnvironmentSupervisor supervisor, long startedMillis, String version, Runnable exit, Runnable activity) {
    this.supervisor = supervisor;
    this.startedMillis = startedMillis;
    this.version = version;
    this.exit = exit;
    this.activity = activity;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    if (!request.getPassive()) {
      activity.run();
    }
    answer(response, () -> {
      StatusResponse.Builder b = StatusResponse.newBuilder()
          .setPid(ProcessHandle.current().pid())
          .setVersion(version)
          .setBuild(Daemon.BUILD)
          .setStartedUnixMillis(startedMillis);
      for (var s : supervisor.snapshot()) {
        b.addEnvironments(ManagedEnvironment.newBuilder()
            .setName(s.name().value()).setState(s.state()).setVmPid(s.vmPid()).setOpenCalls(s.openCalls())
            .setSessionProcesses(s.sessionProcesses()).setIdleMillis(s.idle().toMillis())
            .setIdleTimeoutSeconds(s.idleTimeoutSeconds()));
      }
      return b.build();
    });
  }

  @Override
  public void start(StartRequest request, StreamObserver<StartResponse> response) {
    ServerCallStreamObserver<StartResponse> stream = (ServerCallStreamObserver<StartResponse>) response;
    Progress progress = new Progress() {
      @Override
      public void notice(String message) {
        synchronized (stream) {
          if (!stream.isCancelled()) {
            stream.onNext(StartResponse.newBuilder().setNotice(message).build());
          }
        }
      }

      @Override
      public void progress(String task, long done, long total) {}
    };
    answer(response, () -> {
      supervisor.start(EnvName.of(request.getName()), progress);
      return StartResponse.newBuilder().setReady(true).build();
    });
  }

  @Override
  public void stop(StopRequest request, StreamObserver<StopResponse> response) {
    answer(response, () -> StopResponse.newBuilder()
        .setWasRunning(supervisor.stop(EnvName.of(request.getName()), Duration.ofMillis(request.getGraceMillis())))
        .build());
  }

  @Override
  public void stopAll(StopAllRequest request, StreamObserver<StopAllResponse> response) {
    answer(response, () -> StopAllResponse.newBuilder()
        .addAllStopped(supervisor.stopAll(Duration.ofMillis(request.getGraceMillis())).stream().map(EnvName::value).toList())
        .build());
  }

  @Override
  public void remove(RemoveRequest request, StreamObserver<RemoveResponse> response) {
    answer(response, () -> {
      supervisor.remove(EnvName.of(request.getName()), request.getForce());
      return RemoveResponse.getDefaultInstance();
    });
  }

  @Override
  public void exit(ExitRequest request, StreamObserver<ExitResponse> response) {
    answer(response, () -> {
      if (request.getStopEnvironments()) {
        supervisor.stopAll(Duration.ofSeconds(10));
      }
      return ExitResponse.getDefaultInstance();
    });
    exit.run();
  }

  /** Sends what {@code call} returns, or its failure as a status with a one-line description. */
  private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      response.onError(DaemonErrors.toStatus(e));
      return;
    }
    synchronized (response) {
      response.onNext(result);
      response.onCompleted();
    }
  }
}
