package dev.linux.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.ProcessSpec;
import java.util.List;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.junit.jupiter.api.Test;

class InteractiveSessionTest {

  @Test
  void passThroughTurnsOffSignalsEchoAndTranslation() {
    Attributes cooked = new Attributes();
    cooked.setLocalFlags(java.util.EnumSet.of(LocalFlag.ISIG, LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.IEXTEN), true);
    cooked.setInputFlags(java.util.EnumSet.of(InputFlag.ICRNL, InputFlag.IXON), true);
    cooked.setOutputFlag(OutputFlag.OPOST, true);

    Attributes raw = InteractiveSession.passThrough(cooked);

    assertFalse(raw.getLocalFlag(LocalFlag.ISIG), "Ctrl-C must reach the guest as a byte");
    assertFalse(raw.getLocalFlag(LocalFlag.ICANON));
    assertFalse(raw.getLocalFlag(LocalFlag.ECHO));
    assertFalse(raw.getInputFlag(InputFlag.ICRNL));
    assertFalse(raw.getInputFlag(InputFlag.IXON), "Ctrl-S must reach the guest too");
    assertFalse(raw.getOutputFlag(OutputFlag.OPOST));
    assertEquals(1, raw.getControlChar(ControlChar.VMIN));
    assertTrue(cooked.getLocalFlag(LocalFlag.ISIG), "the saved attributes are left untouched");
  }

  @Test
  void terminalSpecGetsSizeAndTerm() {
    ProcessSpec spec = InteractiveSession.withTerminal(ProcessSpec.of("sh"), "screen-256color", 40, 132);
    assertTrue(spec.tty());
    assertEquals(40, spec.rows());
    assertEquals(132, spec.cols());
    assertTrue(spec.env().contains("TERM=screen-256color"));

    ProcessSpec dumb = InteractiveSession.withTerminal(ProcessSpec.of("sh"), "dumb", 0, 0);
    assertTrue(dumb.env().contains("TERM=xterm-256color"));
    assertEquals(24, dumb.rows());
    assertEquals(80, dumb.cols());
  }

  @Test
  void explicitTermIsKept() {
    ProcessSpec given = new ProcessSpec(List.of("sh"), List.of("TERM=vt100"), "/", 0, 0, List.of(), false, 0, 0);
    assertEquals(List.of("TERM=vt100"), InteractiveSession.withTerminal(given, "xterm", 10, 10).env());
  }
}
