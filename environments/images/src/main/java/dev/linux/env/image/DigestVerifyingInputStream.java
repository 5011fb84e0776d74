package dev.linux.env.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes bytes through while hashing and counting them; at end of stream checks that exactly the
 * expected number of bytes had the expected digest, and throws {@link ImageException} naming the
 * content otherwise. Reading past the expected size fails at once, so a blob that is too long
 * is never read to its end.
 */
public final class DigestVerifyingInputStream extends FilterInputStream {

  private final Digest expected;
  private final long expectedSize;
  private final String what;
  private final MessageDigest sha256 = Digest.newSha256();
  private long count;
  private boolean verified;
  private String failure;

  /**
   * @param expectedSize the exact size, or -1 when only the digest is known
   * @param what names the content in error messages, e.g. {@code "blob sha256:…"}
   */
  public DigestVerifyingInputStream(InputStream in, Digest expected, long expectedSize, String what) {
    super(in);
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n < 0) {
      verify();
      return -1;
    }
    sha256.update(b, off, n);
    count += n;
    if (expectedSize >= 0 && count > expectedSize) {
      throw new ImageException(what + " is corrupt: longer than its declared size of " + expectedSize + " bytes");
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must still be hashed.
    return SkipByReading.skip(this, n);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /** Bytes read so far. */
  public long count() {
    return count;
  }

  /** Reads whatever is left, so the check at end of stream runs. */
  public void drain() throws IOException {
    byte[] buffer = new byte[65536];
    while (read(buffer, 0, buffer.length) >= 0) {
      // keep reading
    }
  }

  private void verify() {
    if (!verified) {
      verified = true;
      Digest actual = Digest.of(sha256);
      if (expectedSize >= 0 && count != expectedSize) {
        failure = what + " is corrupt: expected " + expectedSize + " bytes, found " + count;
      } else if (!actual.equals(expected)) {
        failure = what + " is corrupt: its content has digest " + actual;
      }
    }
    if (failure != null) {
      throw new ImageException(failure);
    }
  }
}
