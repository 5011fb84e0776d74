package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.Images;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
  public Integer call() throws IOException {
    EnvName env = EnvName.of(name);
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), quiet);
    if (environments.find(env).isPresent()) {
      throw new EnvException(EnvException.Code.ALREADY_EXISTS, "an environment named '" + name + "' already exists");
    }
    Images images = ImageCommand.images();
    // The tarball becomes a one-layer image in the store only for as long as the disk is written.
    String tag = "import/" + env.value() + ":rootfs";
    try (InputStream in = open()) {
      images.importRootfs(in, "tarball " + (file.equals("-") ? "(stdin)" : Path.of(file).getFileName()), tag);
    }
    try {
      EnvironmentRecord record = environments.create(env,
          new CreateOptions(tag, ByteSize.parse(disk), cpus, ByteSize.parse(memory)));
      if (!quiet) {
        spec.commandLine().getOut().printf("imported %s from %s%n", record.name(), file);
      }
      return 0;
    } finally {
      images.remove(tag);
    }
  }

  private InputStream open() throws IOException {
    if (file.equals("-")) {
      return System.in;
    }
    try {
      return Files.newInputStream(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no such file: " + file);
    }
  }
}
