package dev.linux.cli;

import dev.linux.env.Images;
import dev.linux.env.registry.ImagePuller;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull", description = "Download an image from a registry into the local image store.")
final class ImagePullCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REF", description = "e.g. debian:bookworm, HOST:PORT/name:tag")
  String reference;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from a multi-platform image (default: this machine's).")
  String platform;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() {
    ImagePuller.Listener listener = quiet
        ? ImagePuller.Listener.NONE
        : new PullProgressDisplay(spec.commandLine().getErr(), PullProgressDisplay.isTerminal());
    ImagePuller.Result result = ImageCommand.images().pull(reference, Images.parsePlatform(platform), listener);
    if (!quiet) {
      spec.commandLine().getOut().printf("%s %s%n", result.tag(), result.manifest().digest());
    }
    return 0;
  }
}
