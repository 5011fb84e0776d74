package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.Digest;
import dev.linux.env.image.Platform;
import dev.linux.env.registry.ImagePuller;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shows a pull's downloads. On a terminal: one bar per blob with bytes, rate and ETA, redrawn in
 * place at most ten times a second. Otherwise plain lines a script can parse:
 * {@code blob sha256:… SIZE start}, {@code blob sha256:… SIZE done|present}.
 */
final class PullProgressDisplay implements ImagePuller.Listener {

  private static final int BAR = 24;

  private final PrintWriter err;
  private final boolean interactive;
  private final Map<Digest, Row> rows = new LinkedHashMap<>();
  private long lastDraw;
  private int drawnLines;

  private static final class Row {
    final Descriptor blob;
    final long started = System.nanoTime();
    long bytes;
    String state = "waiting";

    Row(Descriptor blob) {
      this.blob = blob;
    }
  }

  PullProgressDisplay(PrintWriter err, boolean interactive) {
    this.err = err;
    this.interactive = interactive;
  }

  static boolean isTerminal() {
    return dev.linux.shell.HostTerminal.isTerminal(2) && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
  }

  @Override
  public synchronized void resolved(String reference, Digest manifest, Platform platform, List<Descriptor> blobs) {
    err.println("pulling " + reference + " manifest " + manifest + (platform == null ? "" : " platform " + platform));
    for (Descriptor b : blobs) {
      rows.put(b.digest(), new Row(b));
    }
    err.flush();
  }

  @Override
  public synchronized void blobProgress(Descriptor blob, long bytes) {
    Row row = rows.computeIfAbsent(blob.digest(), d -> new Row(blob));
    if (!interactive && row.state.equals("waiting")) {
      err.println("blob " + blob.digest() + " " + blob.size() + " start");
      err.flush();
    }
    row.bytes = bytes;
    row.state = "downloading";
    if (interactive && System.nanoTime() - lastDraw > 100_000_000L) {
      draw();
    }
  }

  @Override
  public synchronized void blobDone(Descriptor blob, boolean downloaded) {
    Row row = rows.computeIfAbsent(blob.digest(), d -> new Row(blob));
    row.bytes = blob.size();
    row.state = downloaded ? "done" : "present";
    if (interactive) {
      draw();
    } else {
      err.println("blob " + blob.digest() + " " + blob.size() + " " + row.state);
      err.flush();
    }
  }

  private void draw() {
    lastDraw = System.nanoTime();
    StringBuilder out = new StringBuilder();
    if (drawnLines > 0) {
      out.append("\033[").append(drawnLines).append('A');
    }
    for (Row row : rows.values()) {
      out.append("\r\033[K").append(line(row)).append('\n');
    }
    drawnLines = rows.size();
    err.print(out);
    err.flush();
  }

  private static String line(Row row) {
    long size = Math.max(1, row.blob.size());
    int filled = (int) Math.min(BAR, row.bytes * BAR / size);
    String bar = "#".repeat(filled) + "-".repeat(BAR - filled);
    double seconds = Math.max(1e-3, (System.nanoTime() - row.started) / 1e9);
    long rate = (long) (row.bytes / seconds);
    String tail = switch (row.state) {
      case "downloading" -> new ByteSize(rate).human() + "/s  ETA " + eta(row.blob.size() - row.bytes, rate);
      default -> row.state;
    };
    return row.blob.digest().shortForm() + " [" + bar + "] " + new ByteSize(row.bytes).human() + " / "
        + new ByteSize(row.blob.size()).human() + "  " + tail;
  }

  private static String eta(long remaining, long rate) {
    if (rate <= 0) {
      return "--";
    }
    long s = remaining / rate;
    return s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
  }
}
