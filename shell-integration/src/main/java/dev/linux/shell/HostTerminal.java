package dev.linux.shell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the CLI's standard streams are terminals. {@code System.console()} cannot say this
 * reliably across JDK versions, so the file descriptors' targets are read from {@code /proc}.
 */
public final class HostTerminal {

  private HostTerminal() {}

  /** True if file descriptor {@code fd} (0, 1 or 2) of this process is a terminal device. */
  public static boolean isTerminal(int fd) {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** A command should get a guest pty when both its input and its output are the user's terminal. */
  public static boolean interactive() {
    return isTerminal(0) && isTerminal(1);
  }
}
