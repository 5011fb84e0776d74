package dev.linux.env;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Host bytes a sparse file really occupies. Java's file attributes do not expose allocated blocks,
 * so one {@code stat} process answers for all files at once.
 */
final class DiskUsage {

  private DiskUsage() {}

  static Map<Path, Long> allocatedBytes(List<Path> files) {
    List<Path> existing = files.stream().filter(Files::isRegularFile).toList();
    Map<Path, Long> result = new HashMap<>();
    if (existing.isEmpty()) {
      return result;
    }
    List<String> command = new ArrayList<>(List.of("stat", "--format=%b %B"));
    existing.forEach(p -> command.add(p.toString()));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
      process.getOutputStream().close();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        return result;
      }
      String[] lines = out.split("\n");
      for (int i = 0; i < lines.length && i < existing.size(); i++) {
        String[] parts = lines[i].trim().split(" ");
        result.put(existing.get(i), Long.parseLong(parts[0]) * Long.parseLong(parts[1]));
      }
    } catch (IOException | NumberFormatException e) {
      // sizes are informational; leave them out
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return result;
  }
}
