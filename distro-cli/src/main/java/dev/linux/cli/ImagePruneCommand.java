package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.image.ImageStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "prune", description = "Delete blobs no stored image uses (and stale partial downloads).")
final class ImagePruneCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ImageStore.PruneResult result = ImageCommand.images().prune();
    spec.commandLine().getOut().printf("deleted %d blobs, %s freed%n", result.blobs(), new ByteSize(result.bytes()).human());
    return 0;
  }
}
