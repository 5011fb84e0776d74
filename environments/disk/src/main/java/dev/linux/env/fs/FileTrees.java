package dev.linux.env.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Deletes directory trees: the one place that does, so every caller treats links the same way. */
public final class FileTrees {

  /**
   * Deletes {@code root} and everything under it, children first. Symbolic links are removed,
   * never followed. A missing root is not an error.
   */
  public static void delete(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : paths) {
      Files.deleteIfExists(p);
    }
  }

  /**
   * Deletes what it can of {@code root}, ignoring failures: for clean-up after another error,
   * where a leftover must not hide the error being reported.
   */
  public static void deleteQuietly(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException ignored) {
                  // best effort, see above
                }
              });
    } catch (IOException ignored) {
      // best effort, see above
    }
  }

  private FileTrees() {}
}
