package dev.linux.vm;

import java.util.Objects;

/** A guest agent call failed; {@link #code()} is stable, the message is the guest's one line. */
public final class AgentException extends Exception {

  /** Why a call failed, independent of the transport. */
  public enum Code {
    NOT_FOUND,
    INVALID_ARGUMENT,
    FAILED_PRECONDITION,
    PERMISSION_DENIED,
    /** The agent cannot be reached (VM not running, not booted yet, connection lost). */
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    INTERNAL
  }

  private final Code code;

  public AgentException(Code code, String message) {
    this(code, message, null);
  }

  public AgentException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code);
  }

  public Code code() {
    return code;
  }
}
