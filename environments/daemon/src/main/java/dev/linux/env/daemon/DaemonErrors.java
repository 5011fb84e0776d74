package dev.linux.env.daemon;

import dev.linux.env.EnvException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one place where environment errors cross the daemon socket, in both directions. */
final class DaemonErrors {

  private DaemonErrors() {}

  /** The status the daemon answers with for {@code failure}. */
  static StatusRuntimeException toStatus(Throwable failure) {
    if (failure instanceof StatusRuntimeException s) {
      return s;
    }
    if (failure instanceof EnvException e) {
      Status.Code code = switch (e.code()) {
        case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
        case NOT_FOUND -> Status.Code.NOT_FOUND;
        case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
        case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
        case UNAVAILABLE -> Status.Code.UNAVAILABLE;
        case IO -> Status.Code.DATA_LOSS;
        case COMMAND_NOT_FOUND -> Status.Code.NOT_FOUND;
        case NOT_EXECUTABLE -> Status.Code.PERMISSION_DENIED;
        case INTERNAL -> Status.Code.INTERNAL;
      };
      return Status.fromCode(code).withDescription(e.getMessage()).asRuntimeException();
    }
    if (failure instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(failure.getMessage()).asRuntimeException();
    }
    String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return Status.INTERNAL.withDescription("daemon: " + message).asRuntimeException();
  }

  /** The environment error a client raises for a failed daemon call. */
  static EnvException fromStatus(StatusRuntimeException failure) {
    Status status = failure.getStatus();
    EnvException.Code code = switch (status.getCode()) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> EnvException.Code.INVALID_ARGUMENT;
      case NOT_FOUND -> EnvException.Code.NOT_FOUND;
      case ALREADY_EXISTS -> EnvException.Code.ALREADY_EXISTS;
      case FAILED_PRECONDITION, ABORTED -> EnvException.Code.FAILED_PRECONDITION;
      case UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED -> EnvException.Code.UNAVAILABLE;
      case DATA_LOSS -> EnvException.Code.IO;
      default -> EnvException.Code.INTERNAL;
    };
    String description = status.getDescription();
    if ((status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.CANCELLED) && transportFailure(status)) {
      description = "lost the connection to the linux daemon (it exited or was killed; the next command starts it again)";
    } else if (description == null || description.isBlank()) {
      description = "the linux daemon failed (" + status.getCode() + ")"
          + (status.getCause() != null && status.getCause().getMessage() != null ? ": " + status.getCause().getMessage() : "");
    }
    return new EnvException(code, description.lines().findFirst().orElse(description).strip(), failure);
  }

  /**
   * Whether the status comes from the transport rather than the daemon: netty and grpc-java say
   * "Network closed for unknown reason", "io exception" or "Channel shutdownNow invoked", which
   * mean nothing to a user. The daemon's own answers always carry a description and no cause.
   */
  static boolean transportFailure(Status status) {
    String d = status.getDescription();
    return d == null || d.isBlank() || status.getCause() != null
        || d.startsWith("Network closed") || d.startsWith("io exception") || d.startsWith("Channel shutdown")
        || d.startsWith("Connection closed") || d.startsWith("Keepalive failed");
  }
}
