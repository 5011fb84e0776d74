package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.image.ImageStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "rm", aliases = "remove", description = "Remove an image from the local store (environments made from it are not affected).")
final class ImageRemoveCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REF")
  String reference;

  @Override
  public Integer call() {
    ImageStore.PruneResult freed = ImageCommand.images().remove(reference);
    spec.commandLine().getOut().printf("removed %s (%d blobs, %s freed)%n", dev.linux.env.Images.storeTag(reference),
        freed.blobs(), new ByteSize(freed.bytes()).human());
    return 0;
  }
}
