package dev.linux.vm.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Host commands and file trees for the VM tests. */
public final class TestFiles {
  private TestFiles() {}

  /** Runs a host command in {@code cwd}; returns its combined output, or fails the test. */
  public static String run(Path cwd, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    if (code != 0) {
      throw new AssertionError(String.join(" ", command) + " failed (" + code + "): " + output);
    }
    return output;
  }

  /** Deletes a tree (links removed, never followed), unless {@code -Dlinux.test.keep} is set. */
  public static void deleteUnlessKept(Path root) {
    if (root != null && System.getProperty("linux.test.keep") == null) {
      deleteQuietly(root);
    }
  }

  static void deleteQuietly(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("[test] cannot delete " + root + ": " + e.getMessage());
    }
  }
}
