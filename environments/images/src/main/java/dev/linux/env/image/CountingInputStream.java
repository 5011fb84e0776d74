package dev.linux.env.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts bytes read and reports them to a {@link ProgressListener} at most every 256 KiB and at EOF. */
final class CountingInputStream extends FilterInputStream {

  private static final long REPORT_EVERY = 256 * 1024;

  private final ProgressListener listener;
  private final int index;
  private final long total;
  private long count;
  private long lastReport;
  private boolean reportedEnd;

  CountingInputStream(InputStream in, ProgressListener listener, int index, long total) {
    super(in);
    this.listener = listener;
    this.index = index;
    this.total = total;
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
      if (!reportedEnd) {
        reportedEnd = true;
        listener.progress(index, count, total);
      }
      return -1;
    }
    count += n;
    if (count - lastReport >= REPORT_EVERY) {
      lastReport = count;
      listener.progress(index, count, total);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = in.skip(n);
    count += Math.max(0, skipped);
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  long count() {
    return count;
  }
}
