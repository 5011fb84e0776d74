package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.GlobalConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "rename",
    description = {
      "Rename a stopped environment.",
      "Its disk, settings and logs go with it; when it is the default environment,",
      "the default follows.",
      "",
      "  linux stop dev && linux rename dev old-dev"
    })
final class RenameCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "OLD")
  String from;

  @Parameters(index = "1", paramLabel = "NEW")
  String to;

  @Override
  public Integer call() {
    EnvName oldName = EnvName.of(from);
    EnvName newName = EnvName.of(to);
    GlobalConfig config = CliEnvironment.config();
    CliEnvironment.environments(spec.commandLine().getErr(), true).rename(oldName, newName);
    if (config.source(GlobalConfig.Key.DEFAULT_ENVIRONMENT) == GlobalConfig.Source.FILE
        && config.defaultEnvironment().equals(oldName)) {
      config.set(GlobalConfig.Key.DEFAULT_ENVIRONMENT, newName.value());
    }
    return 0;
  }
}
