package dev.linux.vm.internal;

import dev.linux.vm.AgentException;
import io.grpc.Status;

/** The one place where gRPC statuses become {@link AgentException}s. */
public final class AgentErrors {
  private AgentErrors() {}

  /** Maps a failed call (a gRPC status exception or anything else) to an AgentException. */
  public static AgentException map(Throwable failure) {
    if (failure instanceof AgentException e) {
      return e;
    }
    Status status = Status.fromThrowable(failure);
    return new AgentException(code(status.getCode()), message(status), failure);
  }

  static AgentException.Code code(Status.Code code) {
    return switch (code) {
      case NOT_FOUND -> AgentException.Code.NOT_FOUND;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> AgentException.Code.INVALID_ARGUMENT;
      case FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED -> AgentException.Code.FAILED_PRECONDITION;
      case PERMISSION_DENIED, UNAUTHENTICATED -> AgentException.Code.PERMISSION_DENIED;
      case UNAVAILABLE, CANCELLED -> AgentException.Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> AgentException.Code.DEADLINE_EXCEEDED;
      case OK, UNKNOWN, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL, DATA_LOSS ->
          AgentException.Code.INTERNAL;
    };
  }

  /** The guest's one-line description, or a short one of our own. */
  static String message(Status status) {
    String description = status.getDescription();
    if ((status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.CANCELLED)
        && transportFailure(status)) {
      return "lost the connection to the environment (it was stopped, or its VM or the linux daemon exited)";
    }
    if (description == null || description.isBlank()) {
      Throwable cause = status.getCause();
      String reason = cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : "";
      description = "guest agent call failed (" + status.getCode() + ")" + reason;
    }
    return description.lines().findFirst().orElse(description).strip();
  }

  /**
   * Whether the status comes from the transport, not from the guest or the daemon's relay: netty
   * and grpc-java say "Network closed for unknown reason", "io exception" or "Channel shutdownNow
   * invoked", which mean nothing to a user. Answers of the guest and the relay carry their own
   * description and no cause.
   */
  static boolean transportFailure(Status status) {
    String d = status.getDescription();
    return d == null || d.isBlank() || status.getCause() != null
        || d.startsWith("Network closed") || d.startsWith("io exception") || d.startsWith("Channel shutdown")
        || d.startsWith("Connection closed") || d.startsWith("Keepalive failed");
  }
}
