package dev.linux.cli;

import dev.linux.env.EnvName;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "clone",
    description = {
      "Copy a stopped environment into a new one.",
      "Same files, same settings. The disk copy is sparse, and shares blocks where the",
      "filesystem can (btrfs, XFS).",
      "",
      "  linux stop dev && linux clone dev experiment"
    })
final class CloneCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE")
  String source;

  @Parameters(index = "1", paramLabel = "NEW")
  String target;

  @Override
  public Integer call() {
    CliEnvironment.environments(spec.commandLine().getErr(), true)
        .cloneEnvironment(EnvName.of(source), EnvName.of(target));
    return 0;
  }
}
