package dev.linux.vm;

import dev.linux.vm.internal.GrpcGuestAgent;
import io.grpc.ConnectivityState;
import java.nio.file.Path;

/**
 * One connection to a guest agent that many users share: the daemon holds one per running VM, uses
 * {@link #agent()} for its own calls and relays its clients' calls onto {@link #grpcChannel()}.
 *
 * <p>This is the one place where vm-runtime hands out a gRPC type: a relay forwards calls byte for
 * byte and so needs the channel itself. Everything else talks to the guest through {@link
 * GuestAgent}.
 */
public final class AgentChannel implements AutoCloseable {

  /** The header naming the environment a relayed call is for. */
  public static final String ENVIRONMENT_HEADER = "linux-environment";

  private final GrpcGuestAgent owner;

  AgentChannel(GrpcGuestAgent owner) {
    this.owner = owner;
  }

  /**
   * A client's agent for environment {@code environment}, reached through the relay listening on
   * {@code socket}. The caller closes it.
   */
  public static GuestAgent relayed(Path socket, String environment) {
    return GrpcGuestAgent.relayed(socket, ENVIRONMENT_HEADER, environment);
  }

  /** The agent on this connection; closing it leaves the connection open. */
  public GuestAgent agent() {
    return owner.view();
  }

  /** The connection itself, for relaying calls. */
  public io.grpc.Channel grpcChannel() {
    return owner.channel();
  }

  /** False once the connection failed (the VM went away) or was closed. */
  public boolean isOpen() {
    ConnectivityState state = owner.channel().getState(false);
    return !owner.channel().isShutdown()
        && state != ConnectivityState.TRANSIENT_FAILURE
        && state != ConnectivityState.SHUTDOWN;
  }

  /** Closes the connection (calls still open on it fail) and releases the VM's agent lock. */
  @Override
  public void close() {
    owner.close();
  }
}
