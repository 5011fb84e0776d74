package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "resize",
    description = {
      "Grow a stopped environment's disk and its filesystem; the data stays as it is.",
      "Disks only grow: a smaller SIZE is refused. The host file stays sparse, so a",
      "larger disk costs nothing until the environment fills it.",
      "",
      "  linux stop dev && linux resize dev 128G"
    })
final class ResizeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Parameters(index = "1", paramLabel = "SIZE", description = "New disk size, e.g. 64G or 512M.")
  String size;

  @Override
  public Integer call() {
    EnvironmentRecord resized = CliEnvironment.environments(spec.commandLine().getErr(), false)
        .resize(EnvName.of(name), ByteSize.parse(size));
    spec.commandLine().getErr().println(name + ": disk is now " + new ByteSize(resized.diskBytes()).human());
    return 0;
  }
}
