package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", description = "Describe a stored image as JSON: digests, platform, config, layers.")
final class ImageInspectCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REF")
  String reference;

  @Override
  public Integer call() throws Exception {
    var json = ImageCommand.images().inspect(reference);
    spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
    return 0;
  }
}
