package dev.linux.shell;

import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumSet;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * A terminal session: the host terminal in raw mode joined to a pty in the guest. Keys (Ctrl-C
 * included) go to the guest as bytes, window size changes follow, and the host terminal is restored
 * however the session ends.
 */
public final class InteractiveSession {

  private InteractiveSession() {}

  /**
   * Runs {@code spec} on a guest pty sized like the host terminal; {@code spec.tty()} is forced on
   * and {@code TERM} is taken from the host when the spec has none.
   */
  public static int run(GuestAgent agent, ProcessSpec spec) throws Exception {
    try (Terminal terminal = TerminalBuilder.builder().system(true).nativeSignals(true).build()) {
      Size size = terminal.getSize();
      ProcessSpec ttySpec = withTerminal(spec, terminal.getType(), size.getRows(), size.getColumns());
      Attributes saved = terminal.getAttributes();
      terminal.setAttributes(passThrough(saved));
      OutputStream screen = terminal.output();
      try (ExecSession session = agent.exec(ttySpec, screen, screen)) {
        terminal.handle(
            Terminal.Signal.WINCH,
            s -> {
              Size now = terminal.getSize();
              session.resize(now.getRows(), now.getColumns());
            });
        Thread pump =
            Thread.ofPlatform().daemon().name("tty-pump").start(() -> pumpKeys(terminal.input(), session));
        try {
          return session.waitFor();
        } finally {
          pump.interrupt();
          screen.flush();
        }
      } finally {
        terminal.setAttributes(saved);
        terminal.flush();
      }
    }
  }

  /**
   * Fully raw, as ssh does: unlike a line editor's raw mode, ISIG and output processing are off
   * too, so Ctrl-C, Ctrl-Z and Ctrl-\ reach the guest's terminal as bytes and the guest's own
   * line discipline does all translation.
   */
  static Attributes passThrough(Attributes original) {
    Attributes raw = new Attributes(original);
    raw.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.ECHONL, LocalFlag.ISIG, LocalFlag.IEXTEN), false);
    raw.setInputFlags(EnumSet.of(InputFlag.IXON, InputFlag.ICRNL, InputFlag.INLCR, InputFlag.IGNCR,
        InputFlag.BRKINT, InputFlag.ISTRIP, InputFlag.PARMRK, InputFlag.INPCK), false);
    raw.setOutputFlag(OutputFlag.OPOST, false);
    raw.setControlChar(ControlChar.VMIN, 1);
    raw.setControlChar(ControlChar.VTIME, 0);
    return raw;
  }

  static ProcessSpec withTerminal(ProcessSpec spec, String hostTerm, int rows, int cols) {
    List<String> env = new ArrayList<>(spec.env());
    if (env.stream().noneMatch(e -> e.startsWith("TERM="))) {
      String term = hostTerm == null || hostTerm.isBlank() || hostTerm.startsWith("dumb") ? "xterm-256color" : hostTerm;
      env.add("TERM=" + term);
    }
    return new ProcessSpec(spec.args(), env, spec.cwd(), spec.uid(), spec.gid(), spec.groups(), false, 0, 0, spec.user())
        .withTty(rows > 0 ? rows : 24, cols > 0 ? cols : 80);
  }

  private static void pumpKeys(InputStream keys, ExecSession session) {
    byte[] buffer = new byte[4096];
    try {
      OutputStream stdin = session.stdin();
      int n;
      while ((n = keys.read(buffer)) >= 0) {
        if (n > 0) {
          stdin.write(buffer, 0, n);
          stdin.flush();
        }
      }
    } catch (IOException | RuntimeException e) {
      // The session ended.
    }
  }
}
