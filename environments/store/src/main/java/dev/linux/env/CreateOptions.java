package dev.linux.env;

import java.util.Objects;

/**
 * How to create an environment.
 *
 * @param image an image reference; {@link #DEFAULT_IMAGE_ALIAS} means the default image
 * @param disk filesystem size (the disk file is sparse)
 * @param cpus virtual CPUs
 * @param memory guest memory
 */
public record CreateOptions(String image, ByteSize disk, int cpus, ByteSize memory) {

  /** What users type (or get) for the default image: Debian stable. */
  public static final String DEFAULT_IMAGE_ALIAS = "debian:stable";

  public CreateOptions {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(disk, "disk");
    Objects.requireNonNull(memory, "memory");
    if (image.isBlank()) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "the image reference is empty");
    }
    if (cpus < 1 || cpus > 256) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "--cpus must be between 1 and 256, not " + cpus);
    }
    if (disk.bytes() < (64L << 20)) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "--disk must be at least 64 MiB, not " + disk);
    }
    if (memory.bytes() < (128L << 20)) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "--memory must be at least 128 MiB, not " + memory);
    }
    if (memory.bytes() % (1L << 20) != 0) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "--memory must be a whole number of MiB, not " + memory.bytes() + " bytes");
    }
  }

  public static CreateOptions defaults() {
    return new CreateOptions(DEFAULT_IMAGE_ALIAS, ByteSize.parse("16G"), 2, ByteSize.parse("2G"));
  }
}
