package dev.linux.env.image;

import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a blob is, its digest and its size.
 *
 * @param platform only on entries of an index; null elsewhere
 * @param annotations never null
 */
public record Descriptor(
    String mediaType, Digest digest, long size, Platform platform, Map<String, String> annotations) {

  public Descriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("negative blob size " + size);
    }
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  public Descriptor(String mediaType, Digest digest, long size) {
    this(mediaType, digest, size, null, Map.of());
  }

  /** The {@code org.opencontainers.image.ref.name} annotation, or null. */
  public String refName() {
    return annotations.get(MediaTypes.REF_NAME_ANNOTATION);
  }
}
