package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.vm.AgentException;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Translates every failure once, at the CLI boundary, into one line on stderr and an exit status
 * chosen by the error's code. {@code --debug} or {@code LINUX_DEBUG=1} adds the stack trace.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
    PrintWriter err = cli.getErr();
    err.println("linux: " + message(ex));
    if (debug()) {
      ex.printStackTrace(err);
    }
    err.flush();
    return isCommandRunner(cli) ? runnerExitStatus(ex) : exitStatus(ex);
  }

  /**
   * {@code run} and {@code enter} pass the guest command's status through, so their own failures use
   * the statuses shells and container tools reserve: 127 command not found, 126 not executable,
   * 125 anything else.
   */
  static int runnerExitStatus(Throwable ex) {
    if (ex instanceof AgentException agent) {
      return switch (agent.code()) {
        case NOT_FOUND -> 127;
        case PERMISSION_DENIED -> 126;
        default -> 125;
      };
    }
    return 125;
  }

  private static boolean isCommandRunner(CommandLine cli) {
    String name = cli.getCommandSpec().qualifiedName(" ");
    return name.equals("linux run") || name.equals("linux enter"); // not `linux daemon run`
  }

  static boolean debug() {
    return "1".equals(System.getenv("LINUX_DEBUG"));
  }

  static String message(Throwable ex) {
    String message = ex.getMessage();
    if (ex instanceof EnvException || ex instanceof AgentException || ex instanceof IllegalArgumentException) {
      return message;
    }
    return (message == null || message.isBlank()) ? ex.getClass().getSimpleName() : message;
  }

  static int exitStatus(Throwable ex) {
    if (ex instanceof EnvException env) {
      return env.code().exitStatus();
    }
    if (ex instanceof IllegalArgumentException) {
      return EnvException.Code.INVALID_ARGUMENT.exitStatus();
    }
    if (ex instanceof AgentException) {
      return EnvException.Code.UNAVAILABLE.exitStatus();
    }
    return EnvException.Code.INTERNAL.exitStatus();
  }
}
