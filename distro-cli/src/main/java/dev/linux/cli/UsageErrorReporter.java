package dev.linux.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Command-line mistakes (unknown option, missing argument, bad number) get one line naming the
 * problem and where help is, not the whole usage text.
 */
final class UsageErrorReporter implements CommandLine.IParameterExceptionHandler {

  @Override
  public int handleParseException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cli = ex.getCommandLine();
    PrintWriter err = cli.getErr();
    String message = ex.getMessage() == null ? "invalid arguments" : ex.getMessage();
    if (!message.isEmpty()) {
      message = Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
    err.println("linux: " + message.replace('\n', ' ').strip()
        + " (see 'linux " + commandPath(cli) + "--help')");
    err.flush();
    return ErrorReporter.usageExitStatus(cli);
  }

  private static String commandPath(CommandLine cli) {
    StringBuilder path = new StringBuilder();
    for (CommandLine c = cli; c.getParent() != null; c = c.getParent()) {
      path.insert(0, c.getCommandName() + " ");
    }
    return path.toString();
  }
}
