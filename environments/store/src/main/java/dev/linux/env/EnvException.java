package dev.linux.env;

/**
 * The one error type of environment operations. Its {@link Code} is stable and decides the CLI's
 * exit status; its message is one line a user can act on.
 */
public final class EnvException extends RuntimeException {

  /** What kind of failure this is; the CLI maps each to an exit status. */
  public enum Code {
    INVALID_ARGUMENT(2),
    NOT_FOUND(3),
    ALREADY_EXISTS(4),
    FAILED_PRECONDITION(5),
    UNAVAILABLE(6),
    IO(7),
    INTERNAL(70);

    private final int exitStatus;

    Code(int exitStatus) {
      this.exitStatus = exitStatus;
    }

    public int exitStatus() {
      return exitStatus;
    }
  }

  private final Code code;

  public EnvException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public EnvException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
