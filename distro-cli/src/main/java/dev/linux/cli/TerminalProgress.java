package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.Progress;
import java.io.PrintWriter;

/**
 * Progress on stderr: on a terminal one line rewritten in place, otherwise plain lines that a
 * script can parse (at most one per task step, so logs stay short).
 */
final class TerminalProgress implements Progress {

  private final PrintWriter err;
  private final boolean quiet;
  private final boolean interactive;
  private String lastTask = "";
  private long lastPrint;

  TerminalProgress(PrintWriter err, boolean quiet) {
    this.err = err;
    this.quiet = quiet;
    this.interactive = dev.linux.shell.HostTerminal.isTerminal(2) && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
  }

  @Override
  public synchronized void notice(String message) {
    if (quiet) {
      return;
    }
    endLine();
    err.println(message);
    err.flush();
  }

  @Override
  public synchronized void progress(String task, long done, long total) {
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    boolean finished = total > 0 && done >= total;
    if (interactive) {
      if (!finished && now - lastPrint < 100_000_000L && task.equals(lastTask)) {
        return;
      }
      String amount = total > 0
          ? new ByteSize(done).human() + " / " + new ByteSize(total).human()
          : new ByteSize(done).human();
      err.print("\r\033[K" + task + "  " + amount);
      if (finished) {
        err.println();
        lastTask = "";
      } else {
        lastTask = task;
      }
      err.flush();
    } else if (!task.equals(lastTask) || finished) {
      err.println(task + (finished ? " done" : "") + (total > 0 ? " (" + new ByteSize(total).human() + ")" : ""));
      err.flush();
      lastTask = finished ? "" : task;
    }
    lastPrint = now;
  }

  private void endLine() {
    if (interactive && !lastTask.isEmpty()) {
      err.println();
      lastTask = "";
    }
  }
}
