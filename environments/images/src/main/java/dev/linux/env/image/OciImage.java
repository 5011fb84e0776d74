package dev.linux.env.image;

import java.util.List;
import java.util.Objects;

/**
 * One image selected from an {@link OciLayout}: its manifest, config and layers, bottom first.
 *
 * @param layout where the blobs are
 * @param manifest the descriptor of the image manifest (not of an index that led to it)
 */
public record OciImage(OciLayout layout, Descriptor manifest, ImageConfig config, List<Layer> layers) {

  public OciImage {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(config, "config");
    layers = List.copyOf(layers);
  }

  /** Sum of the (compressed) layer sizes. */
  public long compressedSize() {
    return layers.stream().mapToLong(l -> l.descriptor().size()).sum();
  }

  /**
   * A layer and what is known about its content.
   *
   * @param compression what the media type declares (the bytes have the last word)
   * @param diffId digest of the uncompressed tar from the config's {@code rootfs.diff_ids}, or
   *     null when the config lists none
   */
  public record Layer(Descriptor descriptor, Compression compression, Digest diffId) {
    public Layer {
      Objects.requireNonNull(descriptor, "descriptor");
      Objects.requireNonNull(compression, "compression");
    }
  }
}
