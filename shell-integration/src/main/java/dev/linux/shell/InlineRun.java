package dev.linux.shell;

import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs one command in an environment as if it ran here: the host's stdin streams in, stdout and
 * stderr stream out separately, signals the CLI receives reach the guest process, and the guest's
 * exit status is returned.
 */
public final class InlineRun {

  /** Signals forwarded to the guest process group while a command runs. */
  private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

  private InlineRun() {}

  public static int run(GuestAgent agent, ProcessSpec spec, InputStream in, OutputStream out, OutputStream err)
      throws Exception {
    try (ExecSession session = agent.exec(spec, out, err)) {
      Thread pump = Thread.ofPlatform().daemon().name("stdin-pump").start(() -> pumpStdin(in, session));
      List<Restorer> handlers = forwardSignals(session);
      try {
        return session.waitFor();
      } finally {
        handlers.forEach(Restorer::restore);
        pump.interrupt();
        out.flush();
        err.flush();
      }
    }
  }

  private static void pumpStdin(InputStream in, ExecSession session) {
    byte[] buffer = new byte[32 * 1024];
    try (OutputStream stdin = session.stdin()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (n > 0) {
          stdin.write(buffer, 0, n);
          stdin.flush();
        }
      }
    } catch (IOException | RuntimeException e) {
      // The process ended or stopped reading its input: nothing more to send.
    }
  }

  private record Restorer(Signal signal, SignalHandler previous) {
    void restore() {
      Signal.handle(signal, previous);
    }
  }

  private static List<Restorer> forwardSignals(ExecSession session) {
    return FORWARDED.stream()
        .map(Signal::new)
        .map(signal -> new Restorer(signal, Signal.handle(signal, s -> session.signal(s.getNumber()))))
        .toList();
  }
}
