package dev.linux.env.image;

/**
 * Hears how far applying an image (or a rootfs tarball) has got, one unit per layer. Byte counts
 * are of the compressed blob as read from the store, so they add up to the sizes a manifest
 * declares. Calls come from the applying thread; keep them cheap.
 */
public interface ProgressListener {

  /** Ignores everything. */
  ProgressListener NONE = new ProgressListener() {};

  /**
   * @param index 0-based, bottom layer first
   * @param name the layer digest or the tarball's file name
   * @param totalBytes compressed size, or -1 if unknown
   */
  default void started(int index, int count, String name, long totalBytes) {}

  /** Called every so often while a layer is read, and once at its end. */
  default void progress(int index, long bytesRead, long totalBytes) {}

  default void finished(int index, int count) {}
}
