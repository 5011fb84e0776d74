package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "import",
    description = {
      "Create an environment from a root filesystem tarball (tar, tar.gz, tar.bz2, tar.xz, tar.zst),",
      "as WSL imports distributions. '-' reads the tarball from standard input."
    })
final class ImportCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Parameters(index = "1", paramLabel = "FILE|-")
  String file;

  @Option(names = "--disk", paramLabel = "SIZE", defaultValue = "16G", description = "Filesystem size (default: ${DEFAULT-VALUE}).")
  String disk;

  @Option(names = "--cpus", paramLabel = "N", defaultValue = "2")
  int cpus;

  @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "2G")
  String memory;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() {
    EnvName env = EnvName.of(name);
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), quiet);
    if (environments.find(env).isPresent()) {
      throw environments.alreadyExists(env);
    }
    CreateOptions options = new CreateOptions(file, ByteSize.parse(disk), cpus, ByteSize.parse(memory));
    // Applied straight to the disk as one tree: a rootfs tarball has no whiteouts.
    EnvironmentRecord record = file.equals("-")
        ? environments.importRootfs(env, System.in, options)
        : environments.importRootfs(env, Path.of(file), options);
    if (!quiet) {
      spec.commandLine().getOut().printf("imported %s from %s%n", record.name(), file);
    }
    return 0;
  }
}
