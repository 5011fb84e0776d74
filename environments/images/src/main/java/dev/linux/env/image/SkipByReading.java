package dev.linux.env.image;

import java.io.IOException;
import java.io.InputStream;

/**
 * {@code skip} for filter streams that must see every byte (to hash it, or to watch for a tar's
 * end): the bytes are read through the stream itself instead of being skipped underneath it.
 */
final class SkipByReading {

  private SkipByReading() {}

  static long skip(InputStream self, long n) throws IOException {
    byte[] buffer = new byte[8192];
    long skipped = 0;
    while (skipped < n) {
      int r = self.read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }
}
