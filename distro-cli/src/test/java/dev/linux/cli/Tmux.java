package dev.linux.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A terminal driven like a person would: a detached tmux session, keys in, screen text out. */
final class Tmux implements AutoCloseable {

  private final String session;

  Tmux(String session, int cols, int rows, List<String> command) throws IOException, InterruptedException {
    this.session = session;
    StringBuilder shell = new StringBuilder();
    for (String arg : command) {
      shell.append('\'').append(arg.replace("'", "'\\''")).append("' ");
    }
    // Keep the pane open after the command so its exit status can be read from the screen.
    shell.append("; echo \"EXITED:$?\"; sleep 600");
    tmux("new-session", "-d", "-s", session, "-x", Integer.toString(cols), "-y", Integer.toString(rows),
        "sh", "-c", shell.toString());
  }

  void type(String text) throws IOException, InterruptedException {
    tmux("send-keys", "-t", session, "-l", text);
  }

  /** Named keys in tmux's notation, e.g. {@code C-c}. */
  void keys(String keys) throws IOException, InterruptedException {
    tmux("send-keys", "-t", session, keys);
  }

  void enter() throws IOException, InterruptedException {
    tmux("send-keys", "-t", session, "Enter");
  }

  String screen() throws IOException, InterruptedException {
    return tmux("capture-pane", "-p", "-t", session, "-S", "-200");
  }

  /** Waits until the screen satisfies {@code condition}; fails with the screen's text otherwise. */
  String await(Predicate<String> condition, long timeoutSeconds, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    String screen = screen();
    while (!condition.test(screen)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; screen:\n" + screen);
      }
      Thread.sleep(200);
      screen = screen();
    }
    return screen;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    tmux("kill-session", "-t", session);
  }

  private static String tmux(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("tmux");
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0 && !args[0].equals("kill-session")) {
      throw new IOException("tmux " + String.join(" ", args) + ": " + out.strip());
    }
    return out;
  }
}
