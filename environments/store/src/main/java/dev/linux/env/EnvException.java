package dev.linux.env;

/**
 * The one failure type the modules below the CLI hand it: a stable {@link Code} and a one-line
 * message for the user. Failures of the layers underneath (images, the VM, the guest agent) are
 * translated into it where they cross into this module; the CLI maps each code to an exit status
 * in one place ({@code ErrorReporter}).
 */
public final class EnvException extends RuntimeException {

  /** What kind of failure this is. */
  public enum Code {
    /** A value the user gave is wrong (a name, a size, a reference, an archive, a config file). */
    INVALID_ARGUMENT,
    /** What the user named does not exist (an environment, an image, a file in the guest). */
    NOT_FOUND,
    ALREADY_EXISTS,
    /** It exists but is in the wrong state for this (running, broken, damaged). */
    FAILED_PRECONDITION,
    /** Something we need cannot be reached: a VM that will not boot, the daemon, the agent. */
    UNAVAILABLE,
    /** Reading or writing host files failed. */
    IO,
    /** The guest has no program by that name ({@code run}, {@code enter}). */
    COMMAND_NOT_FOUND,
    /** The guest program exists but cannot be executed ({@code run}, {@code enter}). */
    NOT_EXECUTABLE,
    /** A bug: something that should not happen did. */
    INTERNAL
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
