package dev.linux.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs an external program to completion; behind an interface so callers are unit-testable. */
interface CommandRunner {

  /** What a finished program left behind. */
  record Result(int exitCode, String stdout, String stderr) {
    /** The last non-blank line of stderr (else stdout): the usual one-line reason for a failure. */
    String lastErrorLine() {
      for (String text : List.of(stderr, stdout)) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (!lines.isEmpty()) {
          return lines.get(lines.size() - 1).strip();
        }
      }
      return "exit status " + exitCode;
    }
  }

  Result run(List<String> command, Path workingDir) throws IOException, InterruptedException;

  /** Runs programs as processes of this host, with stdin closed. */
  static CommandRunner system() {
    return (command, workingDir) -> {
      Path out = Files.createTempFile("linux-cmd", ".out");
      Path err = Files.createTempFile("linux-cmd", ".err");
      try {
        Process process;
        try {
          process =
              new ProcessBuilder(command)
                  .directory(workingDir.toFile())
                  .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                  .redirectOutput(out.toFile())
                  .redirectError(err.toFile())
                  .start();
        } catch (IOException e) {
          throw new IOException(command.get(0) + ": cannot run: " + e.getMessage(), e);
        }
        int code = process.waitFor();
        return new Result(code, read(out), read(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    };
  }

  private static String read(Path file) throws IOException {
    return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8);
  }
}
