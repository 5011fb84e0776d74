package dev.linux.cli;

import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.DaemonFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code linux daemon run} in the background with this JVM and class path: in a session of
 * its own ({@code setsid}), so the terminal's Ctrl-C and hang-up never reach it, stdin from
 * /dev/null, output appended to the daemon's log.
 */
final class DaemonLauncher implements DaemonClient.Launcher {

  private static final long MAX_LOG_BYTES = 1 << 20;

  @Override
  public Process launch(DaemonFiles files) throws IOException {
    Files.createDirectories(files.log().getParent());
    if (Files.isRegularFile(files.log()) && Files.size(files.log()) > MAX_LOG_BYTES) {
      // Daemons of a long-lived home append for months: keep the last log and this one.
      Files.move(files.log(), files.log().resolveSibling(files.log().getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
    }
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid");
    }
    command.add(java);
    command.addAll(jvmOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "daemon", "run"));
    return new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(files.log().toFile()))
        .redirectErrorStream(true)
        .start();
  }

  /**
   * The daemon's JVM options: those bin/lib/host.sh chose for long-lived work (the full JIT), passed
   * by the launcher in {@value #OPTIONS_PROPERTY}, one per line. A CLI started without the launcher
   * (tests, an IDE) gives its daemon only what it needs to run.
   */
  static List<String> jvmOptions() {
    String options = System.getProperty(OPTIONS_PROPERTY);
    if (options != null && !options.isBlank()) {
      return options.lines().filter(line -> !line.isBlank()).toList();
    }
    List<String> minimal = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      minimal.add("--sun-misc-unsafe-memory-access=allow"); // netty's, until it moves off Unsafe
    }
    return minimal;
  }

  static final String OPTIONS_PROPERTY = "linux.daemon.jvm-options";
}
