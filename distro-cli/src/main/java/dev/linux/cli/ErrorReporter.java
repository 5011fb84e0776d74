package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.env.EnvException.Code;
import dev.linux.env.image.ImageException;
import dev.linux.vm.AgentException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * The CLI's one error boundary: every failure becomes an {@link EnvException} (the modules below
 * hand over nothing else; {@link #translate} catches what slips through), is printed as one line
 * on stderr, and its code picks the exit status from the one table here, which the README
 * repeats. {@code LINUX_DEBUG=1} adds the stack trace.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

  /** Statuses of every command but {@code run} and {@code enter} (see the README's table). */
  static int exitStatus(Code code) {
    return switch (code) {
      case INVALID_ARGUMENT -> 2;
      case NOT_FOUND, COMMAND_NOT_FOUND -> 3;
      case ALREADY_EXISTS -> 4;
      case FAILED_PRECONDITION, NOT_EXECUTABLE -> 5;
      case UNAVAILABLE -> 6;
      case IO -> 7;
      case INTERNAL -> 70;
    };
  }

  /**
   * {@code run} and {@code enter} pass the guest command's status through, so their own failures use
   * the statuses shells and container tools reserve: 127 command not found, 126 not executable,
   * 125 everything else (a usage error, an unknown user, an environment that will not boot, ...).
   */
  static int runnerExitStatus(Code code) {
    return switch (code) {
      case COMMAND_NOT_FOUND -> 127;
      case NOT_EXECUTABLE -> 126;
      default -> 125;
    };
  }

  /** A usage error (unknown option, missing argument): 2, or 125 for {@code run} and {@code enter}. */
  static int usageExitStatus(CommandLine cli) {
    return isCommandRunner(cli) ? runnerExitStatus(Code.INVALID_ARGUMENT) : exitStatus(Code.INVALID_ARGUMENT);
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
    EnvException failure = translate(ex);
    PrintWriter err = cli.getErr();
    err.println("linux: " + failure.getMessage());
    if (debug()) {
      ex.printStackTrace(err);
    }
    err.flush();
    return isCommandRunner(cli) ? runnerExitStatus(failure.code()) : exitStatus(failure.code());
  }

  /**
   * What reaches the boundary as the one type. The modules translate their failures themselves;
   * this is the net under them, so a user still gets one line and a status that means something.
   */
  static EnvException translate(Throwable ex) {
    if (ex instanceof EnvException env) {
      return env;
    }
    if (ex instanceof AgentException agent) {
      Code code = switch (agent.code()) {
        case NOT_FOUND -> Code.NOT_FOUND;
        case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
        case FAILED_PRECONDITION, PERMISSION_DENIED -> Code.FAILED_PRECONDITION;
        case UNAVAILABLE, DEADLINE_EXCEEDED -> Code.UNAVAILABLE;
        case INTERNAL -> Code.INTERNAL;
      };
      return new EnvException(code, oneLine(agent), agent);
    }
    if (ex instanceof IllegalArgumentException || ex instanceof ImageException) {
      return new EnvException(Code.INVALID_ARGUMENT, oneLine(ex), ex);
    }
    if (ex instanceof IOException || ex instanceof UncheckedIOException) {
      return new EnvException(Code.IO, oneLine(ex), ex);
    }
    return new EnvException(Code.INTERNAL, "internal error: " + oneLine(ex) + " (LINUX_DEBUG=1 shows where)", ex);
  }

  private static String oneLine(Throwable ex) {
    String message = ex.getMessage();
    if (message == null || message.isBlank()) {
      return ex.getClass().getSimpleName();
    }
    return message.strip().lines().findFirst().orElse(message);
  }

  static boolean isCommandRunner(CommandLine cli) {
    String name = cli.getCommandSpec().qualifiedName(" ");
    return name.equals("linux run") || name.equals("linux enter"); // not `linux daemon run`
  }

  static boolean debug() {
    return "1".equals(System.getenv("LINUX_DEBUG"));
  }
}
