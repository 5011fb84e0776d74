package dev.linux.vm.internal;

import com.google.protobuf.ByteString;
import dev.linux.guest.proto.CopyInHeader;
import dev.linux.guest.proto.CopyInRequest;
import dev.linux.guest.proto.CopyInResponse;
import dev.linux.guest.proto.GuestAgentGrpc;
import dev.linux.vm.AgentException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** One CopyIn call: the header, then the source in chunks, sent only while gRPC is ready. */
final class GrpcCopyIn implements ClientResponseObserver<CopyInRequest, CopyInResponse> {
  private static final int CHUNK = 32 * 1024;

  private final CompletableFuture<Long> result = new CompletableFuture<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private ClientCallStreamObserver<CopyInRequest> requests;

  static long run(GuestAgentGrpc.GuestAgentStub stub, InputStream source, CopyInHeader header)
      throws AgentException {
    GrpcCopyIn call = new GrpcCopyIn();
    stub.withWaitForReady().copyIn(call);
    return call.send(source, header);
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<CopyInRequest> requestStream) {
    requests = requestStream;
    requestStream.setOnReadyHandler(this::signal);
  }

  @Override
  public void onNext(CopyInResponse value) {
    result.complete(value.getBytes());
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(AgentErrors.map(t));
    signal();
  }

  @Override
  public void onCompleted() {
    result.completeExceptionally(
        new AgentException(AgentException.Code.INTERNAL, "CopyIn ended without a reply"));
    signal();
  }

  private long send(InputStream source, CopyInHeader header) throws AgentException {
    try {
      next(CopyInRequest.newBuilder().setHeader(header).build());
      byte[] buf = new byte[CHUNK];
      int n;
      while ((n = source.read(buf)) > 0) {
        next(CopyInRequest.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build());
      }
      if (!result.isDone()) {
        requests.onCompleted();
      }
      return result.get();
    } catch (IOException e) {
      requests.cancel("reading the source failed", e);
      throw new AgentException(AgentException.Code.INTERNAL, "copy in: reading the source failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      requests.cancel("interrupted", e);
      throw new AgentException(AgentException.Code.UNAVAILABLE, "copy in interrupted", e);
    } catch (ExecutionException e) {
      throw AgentErrors.map(e.getCause());
    }
  }

  /** Sends one message once the transport is ready; stops early when the call has failed. */
  private void next(CopyInRequest request) throws InterruptedException, ExecutionException {
    lock.lock();
    try {
      while (!requests.isReady()) {
        if (result.isDone()) {
          result.get(); // throws the call's error
          return;
        }
        ready.await(50, TimeUnit.MILLISECONDS);
      }
      requests.onNext(request);
    } finally {
      lock.unlock();
    }
  }

  private void signal() {
    lock.lock();
    try {
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
