package dev.linux.cli;

import dev.linux.env.ConsoleLog;
import dev.linux.env.EnvName;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "logs",
    description = {
      "Print an environment's console log.",
      "What its kernel and init printed since it last booted.",
      "",
      "  linux logs dev",
      "  linux logs -f dev        keep printing new lines until Ctrl-C"
    })
final class LogsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = {"-f", "--follow"}, description = "Keep printing what is appended (across reboots) until interrupted.")
  boolean follow;

  @Override
  public Integer call() throws Exception {
    ConsoleLog log = CliEnvironment.environments(spec.commandLine().getErr(), true).consoleLog(EnvName.of(name));
    OutputStream out = new FileOutputStream(FileDescriptor.out);
    if (follow) {
      log.follow(out);
    } else {
      log.copyTo(out);
    }
    return 0;
  }
}
