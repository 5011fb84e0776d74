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
    if (description == null || description.isBlank()) {
      Throwable cause = status.getCause();
      String reason = cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : "";
      description = "guest agent call failed (" + status.getCode() + ")" + reason;
    }
    return description.lines().findFirst().orElse(description).strip();
  }
}
