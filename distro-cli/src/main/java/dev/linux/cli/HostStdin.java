package dev.linux.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's standard input, read as empty when the user started us with it closed
 * ({@code linux run dev -- wc -c <&-}). With descriptor 0 closed at exec, the first file the JVM
 * opens for itself takes that number (its class image, {@code lib/modules}), and reading "stdin"
 * would stream a host file into the guest. {@code bin/linux} reopens a closed descriptor 0 on
 * {@code /dev/null} before the JVM starts; this is the guard for every other way of starting us.
 */
final class HostStdin {

  private static final boolean CLOSED_AT_LAUNCH =
      isJvmOwnFile(Path.of("/proc/self/fd/0"), Path.of(System.getProperty("java.home")));

  private HostStdin() {}

  /** A stream over descriptor 0, or an empty one when it was closed at launch. */
  static InputStream open() {
    return CLOSED_AT_LAUNCH ? InputStream.nullInputStream() : new FileInputStream(FileDescriptor.in);
  }

  /** {@code System.in} as {@link #open()} sees it; call before anything reads it. */
  static void install() {
    if (CLOSED_AT_LAUNCH) {
      System.setIn(InputStream.nullInputStream());
    }
  }

  /** Whether the descriptor link {@code fd} names a file inside the running JDK. */
  static boolean isJvmOwnFile(Path fd, Path javaHome) {
    try {
      Path target = Files.readSymbolicLink(fd);
      return target.isAbsolute() && target.normalize().startsWith(javaHome.toRealPath());
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false; // no /proc (not Linux): nothing to guard against here
    }
  }
}
