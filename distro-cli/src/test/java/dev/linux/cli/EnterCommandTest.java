package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EnterCommandTest {

  @Test
  void aTerminalOnStdinGetsAGuestPty() {
    assertEquals(EnterCommand.Session.PTY, EnterCommand.sessionFor(true));
  }

  /** Issue 16, defect 5: a pipe or /dev/null on stdin must not reach JLine, which waits forever. */
  @Test
  void withoutATerminalTheShellRunsOnPipes() {
    assertEquals(EnterCommand.Session.PIPES, EnterCommand.sessionFor(false));
  }
}
