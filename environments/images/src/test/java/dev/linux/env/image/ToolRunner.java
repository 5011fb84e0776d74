package dev.linux.env.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs a reference tool in integration tests and returns its output, failing on a non-zero exit. */
final class ToolRunner {

  private ToolRunner() {}

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status = p.waitFor();
    if (status != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + status + ": " + out);
    }
    return out;
  }
}
