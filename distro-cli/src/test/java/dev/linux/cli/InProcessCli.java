package dev.linux.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs {@code linux} in this JVM with captured output. The unit tests' JVM has {@code LINUX_HOME}
 * (a scratch data directory under {@code target/}) and {@code LINUX_NO_DAEMON=1} set by the POM.
 */
final class InProcessCli {

  record Result(int status, String out, String err) {
    /** The error output's lines, without the trailing newline. */
    java.util.List<String> errLines() {
      return err.lines().toList();
    }
  }

  private InProcessCli() {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute(args);
    return new Result(status, out.toString(), err.toString());
  }
}
