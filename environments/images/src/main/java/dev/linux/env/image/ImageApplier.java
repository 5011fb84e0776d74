package dev.linux.env.image;

import dev.linux.env.fs.FileTreeSink;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Applies an image's layers, bottom first, to a {@link FileTreeSink}.
 *
 * <p>Each layer blob is streamed once: decompressed, unpacked into the sink, and verified against
 * its digest and size (and its config {@code diff_id}, when the config lists them) as it ends. A
 * blob that fails verification has already been partly written to the sink; the caller must then
 * treat the sink's tree as broken (an environment whose image fails to apply is never usable).
 */
public final class ImageApplier {

  private ImageApplier() {}

  /** Applies every layer of {@code image}. */
  public static void apply(OciImage image, FileTreeSink sink, ProgressListener listener) throws IOException {
    List<OciImage.Layer> layers = image.layers();
    LayerApplier applier = new LayerApplier(sink, LayerApplier.Whiteouts.APPLY);
    for (int i = 0; i < layers.size(); i++) {
      OciImage.Layer layer = layers.get(i);
      listener.started(i, layers.size(), layer.descriptor().digest().toString(), layer.descriptor().size());
      String what = "layer " + layer.descriptor().digest();
      try {
        applyOnce(image.layout(), layer, i, listener, what, applier);
      } catch (LayerApplier.OutOfOrderWhiteout e) {
        // Rare: re-read the blob twice, whiteouts first. Progress restarts for this layer.
        try (LayerStream first = open(image.layout(), layer, i, ProgressListener.NONE, what);
            LayerStream second = open(image.layout(), layer, i, listener, what)) {
          applier.applyWhiteoutsFirst(first.tar, second.tar, what);
          first.verify();
          second.verify();
        }
      }
      listener.finished(i, layers.size());
    }
  }

  private static void applyOnce(OciLayout layout, OciImage.Layer layer, int index, ProgressListener listener,
      String what, LayerApplier applier) throws IOException {
    try (LayerStream stream = open(layout, layer, index, listener, what)) {
      applier.apply(stream.tar, what);
      stream.verify();
    }
  }

  private static LayerStream open(OciLayout layout, OciImage.Layer layer, int index, ProgressListener listener,
      String what) throws IOException {
    DigestVerifyingInputStream blob = layout.openBlob(layer.descriptor());
    try {
      InputStream counted = new CountingInputStream(blob, listener, index, layer.descriptor().size());
      InputStream tar = OciLayout.uncompressed(counted, layer);
      DigestVerifyingInputStream diff = layer.diffId() == null
          ? null
          : new DigestVerifyingInputStream(tar, layer.diffId(), -1, what + " (uncompressed, diff_id " + layer.diffId() + ")");
      return new LayerStream(blob, diff == null ? tar : diff, diff);
    } catch (IOException | RuntimeException e) {
      blob.close();
      throw e;
    }
  }

  /** A layer's tar stream over its verified blob. */
  private record LayerStream(DigestVerifyingInputStream blob, InputStream tar, DigestVerifyingInputStream diff)
      implements AutoCloseable {

    /** Reads both streams to their ends, so the digest checks run. */
    void verify() throws IOException {
      if (diff != null) {
        diff.drain();
      } else {
        tar.transferTo(OutputStreamSink.INSTANCE);
      }
      blob.drain();
    }

    @Override
    public void close() throws IOException {
      tar.close();
    }
  }

  /** Discards what is written to it. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
