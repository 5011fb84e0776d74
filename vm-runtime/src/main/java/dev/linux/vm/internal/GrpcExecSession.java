package dev.linux.vm.internal;

import dev.linux.guest.proto.ExecRequest;
import dev.linux.guest.proto.ExecResponse;
import dev.linux.guest.proto.WindowSize;
import dev.linux.vm.AgentException;
import dev.linux.vm.ExecSession;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Exec stream. Flow control both ways: output is requested one message at a time, after the
 * previous one was written to the caller's stream (a slow reader slows the guest process); stdin
 * is sent only while the transport is ready (a fast writer blocks instead of buffering).
 */
final class GrpcExecSession implements ExecSession, ClientResponseObserver<ExecRequest, ExecResponse> {
  static final int STDIN_CHUNK = 32 * 1024;
  private static final long READY_POLL_MILLIS = 50;

  private final OutputStream stdout;
  private final OutputStream stderr;
  private final CompletableFuture<Integer> started = new CompletableFuture<>();
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private final ReentrantLock sendLock = new ReentrantLock();
  private final Condition ready = sendLock.newCondition();
  private final StdinStream stdin = new StdinStream();
  private ClientCallStreamObserver<ExecRequest> requests;
  private volatile Integer exitStatus;
  private volatile IOException outputFailure;

  GrpcExecSession(OutputStream stdout, OutputStream stderr) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  void sendStart(dev.linux.guest.proto.ProcessSpec spec) {
    send(ExecRequest.newBuilder().setStart(spec).build());
  }

  // ---- gRPC callbacks (serialised by gRPC, on its executor) ----

  @Override
  public void beforeStart(ClientCallStreamObserver<ExecRequest> requestStream) {
    this.requests = requestStream;
    requestStream.disableAutoRequestWithInitial(1);
    requestStream.setOnReadyHandler(this::signalReady);
  }

  @Override
  public void onNext(ExecResponse response) {
    try {
      switch (response.getKindCase()) {
        case STARTED -> started.complete(response.getStarted().getPid());
        case STDOUT -> write(stdout, response.getStdout().toByteArray());
        case STDERR -> write(stderr, response.getStderr().toByteArray());
        case EXITED -> exitStatus = response.getExited().getStatus();
        case KIND_NOT_SET -> {}
      }
    } catch (IOException e) {
      // The caller's stream is gone (e.g. a closed pipe): stop the process as a terminal would.
      outputFailure = e;
      cancel("output stream failed: " + e.getMessage());
      return;
    }
    locked(() -> requests.request(1));
  }

  @Override
  public void onError(Throwable t) {
    AgentException error = AgentErrors.map(t);
    if (outputFailure != null) {
      error =
          new AgentException(
              AgentException.Code.INTERNAL,
              "writing the process output failed: " + outputFailure.getMessage(),
              outputFailure);
    }
    started.completeExceptionally(error);
    Integer status = exitStatus;
    if (status != null && outputFailure == null) {
      finish(status);
    } else {
      flushQuietly();
      exited.completeExceptionally(error);
    }
    signalReady();
  }

  @Override
  public void onCompleted() {
    Integer status = exitStatus;
    started.completeExceptionally(
        new AgentException(AgentException.Code.INTERNAL, "exec stream ended before the process started"));
    if (status != null) {
      finish(status);
    } else {
      flushQuietly();
      exited.completeExceptionally(
          new AgentException(AgentException.Code.INTERNAL, "exec stream ended without an exit status"));
    }
    signalReady();
  }

  // ---- ExecSession ----

  void awaitStarted() throws AgentException {
    try {
      started.get();
    } catch (ExecutionException e) {
      throw AgentErrors.map(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new AgentException(AgentException.Code.UNAVAILABLE, "interrupted while starting the process", e);
    }
  }

  @Override
  public int pid() {
    return started.getNow(-1);
  }

  @Override
  public OutputStream stdin() {
    return stdin;
  }

  @Override
  public void resize(int rows, int cols) {
    send(ExecRequest.newBuilder().setResize(WindowSize.newBuilder().setRows(rows).setCols(cols)).build());
  }

  @Override
  public void signal(int signal) {
    send(ExecRequest.newBuilder().setSignal(signal).build());
  }

  @Override
  public void signalProcess(int signal) {
    send(ExecRequest.newBuilder().setSignalProcess(signal).build());
  }

  @Override
  public int waitFor() throws InterruptedException, AgentException {
    try {
      return exited.get();
    } catch (ExecutionException e) {
      throw AgentErrors.map(e.getCause());
    }
  }

  @Override
  public void close() {
    if (!exited.isDone()) {
      cancel("session closed");
    }
  }

  // ---- internals ----

  private void write(OutputStream out, byte[] data) throws IOException {
    out.write(data);
    out.flush(); // a terminal must see output as it comes
  }

  private void finish(int status) {
    flushQuietly();
    exited.complete(status);
  }

  private void flushQuietly() {
    try {
      stdout.flush();
      stderr.flush();
    } catch (IOException ignored) {
      // already reported through the write that failed
    }
  }

  private void cancel(String why) {
    locked(() -> requests.cancel(why, null));
  }

  /** Sends a control message; dropped once the process has ended. */
  private void send(ExecRequest request) {
    locked(
        () -> {
          if (!exited.isDone()) {
            requests.onNext(request);
          }
        });
  }

  private void locked(Runnable action) {
    sendLock.lock();
    try {
      action.run();
    } catch (IllegalStateException ignored) {
      // the call is already closed: nothing to send or request any more
    } finally {
      sendLock.unlock();
    }
  }

  private void signalReady() {
    sendLock.lock();
    try {
      ready.signalAll();
    } finally {
      sendLock.unlock();
    }
  }

  /** stdin with flow control: a write waits while gRPC is not ready for more. */
  private final class StdinStream extends OutputStream {
    private boolean closed;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, STDIN_CHUNK);
        sendStdin(com.google.protobuf.ByteString.copyFrom(b, off, n));
        off += n;
        len -= n;
      }
    }

    private void sendStdin(com.google.protobuf.ByteString chunk) throws IOException {
      sendLock.lock();
      try {
        while (true) {
          if (closed) {
            throw new IOException("stdin is closed");
          }
          if (exited.isDone()) {
            throw new IOException("the process has ended (broken pipe)");
          }
          if (requests.isReady()) {
            requests.onNext(ExecRequest.newBuilder().setStdin(chunk).build());
            return;
          }
          // The ready signal can come while we are between checks: poll as well.
          ready.await(READY_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while sending stdin");
      } catch (IllegalStateException e) {
        throw new IOException("the process has ended (broken pipe)", e);
      } finally {
        sendLock.unlock();
      }
    }

    @Override
    public void close() {
      sendLock.lock();
      try {
        if (!closed) {
          closed = true;
          if (!exited.isDone()) {
            requests.onNext(ExecRequest.newBuilder().setCloseStdin(true).build());
          }
        }
      } catch (IllegalStateException ignored) {
        // the call already ended
      } finally {
        sendLock.unlock();
      }
    }
  }
}
