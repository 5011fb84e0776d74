package dev.linux.env.daemon;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.vm.AgentChannel;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Relays calls of the guest-agent API ({@code linux.agent.v1.GuestAgent}) from the daemon's
 * clients to the named environment's one agent connection, message for message and unparsed, so
 * any number of sessions share that connection as HTTP/2 streams. Each direction has flow control:
 * a message is requested from one side only when the other can take it, so a slow reader slows
 * the writer instead of filling the daemon's memory.
 */
final class AgentRelay extends HandlerRegistry {

  static final String SERVICE = "linux.agent.v1.GuestAgent";
  private static final Metadata.Key<String> ENVIRONMENT =
      Metadata.Key.of(AgentChannel.ENVIRONMENT_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** Calls that are a user's session (they keep an environment from idling); the rest are questions. */
  private static final java.util.Set<String> SESSIONS = java.util.Set.of("Exec", "CopyIn", "CopyOut", "ExportRoot");

  private final EnvironmentSupervisor supervisor;
  private final Map<String, ServerMethodDefinition<byte[], byte[]>> methods = new ConcurrentHashMap<>();

  AgentRelay(EnvironmentSupervisor supervisor) {
    this.supervisor = supervisor;
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    if (!SERVICE.equals(MethodDescriptor.extractFullServiceName(methodName))) {
      return null;
    }
    return methods.computeIfAbsent(methodName, name -> {
      MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNKNOWN)
          .setFullMethodName(name)
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();
      return ServerMethodDefinition.create(method, new Handler(method));
    });
  }

  private final class Handler implements ServerCallHandler<byte[], byte[]> {
    private final MethodDescriptor<byte[], byte[]> method;

    Handler(MethodDescriptor<byte[], byte[]> method) {
      this.method = method;
    }

    @Override
    public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> serverCall, Metadata headers) {
      EnvironmentSupervisor.Lease lease;
      ClientCall<byte[], byte[]> clientCall;
      try {
        String value = headers.get(ENVIRONMENT);
        if (value == null) {
          throw new IllegalArgumentException("relayed call without the " + AgentChannel.ENVIRONMENT_HEADER + " header");
        }
        if ("Shutdown".equals(method.getBareMethodName())) {
          // The daemon owns lifecycle: a guest powered off behind its back would look like a crash.
          throw new EnvException(EnvException.Code.FAILED_PRECONDITION, "stop environments through the daemon (linux stop " + value + ")");
        }
        lease = supervisor.lease(EnvName.of(value), SESSIONS.contains(method.getBareMethodName()));
        CallOptions options = CallOptions.DEFAULT;
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
          options = options.withDeadline(deadline);
        }
        try {
          clientCall = lease.channel().newCall(method, options);
        } catch (RuntimeException e) {
          lease.release();
          throw e;
        }
      } catch (RuntimeException e) {
        serverCall.close(Status.fromThrowable(DaemonErrors.toStatus(e)), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      RelayedCall call = new RelayedCall(serverCall, clientCall, lease);
      call.start();
      return call.fromClient();
    }
  }

  /** One call in flight: the client's side ({@code server}) and the guest's side ({@code guest}). */
  private static final class RelayedCall {
    private final ServerCall<byte[], byte[]> server;
    private final ClientCall<byte[], byte[]> guest;
    private final EnvironmentSupervisor.Lease lease;
    /** ServerCall and ClientCall are not thread-safe; both sides' callbacks go through this. */
    private final Object lock = new Object();
    private boolean headersSent;
    private boolean wantFromClient;
    private boolean wantFromGuest;
    private boolean closed;

    RelayedCall(ServerCall<byte[], byte[]> server, ClientCall<byte[], byte[]> guest, EnvironmentSupervisor.Lease lease) {
      this.server = server;
      this.guest = guest;
      this.lease = lease;
    }

    void start() {
      synchronized (lock) {
        guest.start(new FromGuest(), new Metadata());
        guest.request(1);
        server.request(1);
      }
    }

    ServerCall.Listener<byte[]> fromClient() {
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          synchronized (lock) {
            if (closed) {
              return;
            }
            guest.sendMessage(message);
            if (guest.isReady()) {
              server.request(1);
            } else {
              wantFromClient = true;
            }
          }
        }

        @Override
        public void onHalfClose() {
          synchronized (lock) {
            if (!closed) {
              guest.halfClose();
            }
          }
        }

        @Override
        public void onCancel() {
          synchronized (lock) {
            closed = true;
            guest.cancel("the client went away", null);
          }
          lease.release();
        }

        @Override
        public void onComplete() {
          lease.release();
        }

        @Override
        public void onReady() {
          // the client can take more: ask the guest for the next message if one was held back
          synchronized (lock) {
            if (wantFromGuest && !closed) {
              wantFromGuest = false;
              guest.request(1);
            }
          }
        }
      };
    }

    private final class FromGuest extends ClientCall.Listener<byte[]> {
      @Override
      public void onHeaders(Metadata headers) {
        synchronized (lock) {
          if (!closed) {
            server.sendHeaders(headers);
            headersSent = true;
          }
        }
      }

      @Override
      public void onMessage(byte[] message) {
        synchronized (lock) {
          if (closed) {
            return;
          }
          if (!headersSent) {
            server.sendHeaders(new Metadata());
            headersSent = true;
          }
          server.sendMessage(message);
          if (server.isReady()) {
            guest.request(1);
          } else {
            wantFromGuest = true;
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        synchronized (lock) {
          if (!closed) {
            closed = true;
            server.close(status, trailers);
          }
        }
        lease.release();
      }

      @Override
      public void onReady() {
        // the guest can take more: ask the client for the next message if one was held back
        synchronized (lock) {
          if (wantFromClient && !closed) {
            wantFromClient = false;
            server.request(1);
          }
        }
      }
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
