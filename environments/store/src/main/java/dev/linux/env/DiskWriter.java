package dev.linux.env;

import dev.linux.env.ext4.Ext4Options;
import dev.linux.env.ext4.Ext4Writer;
import dev.linux.env.image.ImageApplier;
import dev.linux.env.image.OciImage;
import dev.linux.env.image.ProgressListener;
import java.io.IOException;
import java.nio.file.Path;

/** Writes an image's layers straight into a new EXT4 disk image. */
final class DiskWriter {

  private DiskWriter() {}

  static void write(OciImage image, Path disk, long sizeBytes, String label, Progress progress) throws IOException {
    try (Ext4Writer writer = Ext4Writer.create(disk, Ext4Options.ofSize(sizeBytes).withLabel(label))) {
      ImageApplier.apply(image, writer, new LayerProgress(progress));
    }
  }

  /** Renders per-layer progress as "Writing layer 1/3 (sha256:abcdef012345)". */
  private static final class LayerProgress implements ProgressListener {
    private final Progress progress;
    private String task = "";

    LayerProgress(Progress progress) {
      this.progress = progress;
    }

    @Override
    public void started(int index, int count, String name, long totalBytes) {
      String shortName = name.startsWith("sha256:") && name.length() > 19 ? name.substring(0, 19) : name;
      task = "Writing layer " + (index + 1) + "/" + count + " (" + shortName + ")";
      progress.progress(task, 0, Math.max(totalBytes, 0));
    }

    @Override
    public void progress(int index, long bytesRead, long totalBytes) {
      progress.progress(task, bytesRead, Math.max(totalBytes, 0));
    }
  }
}
