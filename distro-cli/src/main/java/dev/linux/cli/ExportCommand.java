package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.ExportFormat;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "export",
    description = {
      "Write an environment's filesystem out as a tarball, running or stopped; 'linux import'",
      "takes it back. '-' writes to standard output. The format follows FILE's extension",
      "(.tar, .tar.gz, .tar.zst) unless --format says otherwise."
    })
final class ExportCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Parameters(index = "1", paramLabel = "FILE|-")
  String file;

  @Option(names = "--format", paramLabel = "tar|tar.gz|tar.zst", description = "Archive format (default: from FILE's extension, else tar).")
  String format;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    EnvName env = EnvName.of(name);
    boolean toStdout = file.equals("-");
    ExportFormat chosen = format != null ? ExportFormat.parse(format)
        : toStdout ? ExportFormat.TAR : ExportFormat.forFileName(file);
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), quiet);
    if (toStdout) {
      OutputStream out = new FileOutputStream(FileDescriptor.out);
      environments.export(env, out, chosen);
      out.flush();
      return 0;
    }
    environments.export(env, Path.of(file), chosen);
    if (!quiet) {
      spec.commandLine().getOut().printf("exported %s to %s (%s)%n", env, file, chosen.label());
    }
    return 0;
  }
}
