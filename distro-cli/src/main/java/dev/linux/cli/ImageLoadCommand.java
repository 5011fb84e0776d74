package dev.linux.cli;

import dev.linux.env.image.ArchiveLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "load", description = "Load an oci-archive or docker-archive (docker save) tarball into the local store.")
final class ImageLoadCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE")
  Path file;

  @Option(names = "--tag", paramLabel = "TAG", description = "Load only the image with this tag.")
  String tag;

  @Override
  public Integer call() {
    List<ArchiveLoader.Loaded> loaded = ImageCommand.images().load(file, tag);
    for (ArchiveLoader.Loaded image : loaded) {
      spec.commandLine().getOut().printf("loaded %s %s%n",
          image.tags().isEmpty() ? "(untagged)" : String.join(",", image.tags()), image.manifest().digest());
    }
    return 0;
  }
}
