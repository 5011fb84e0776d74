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
    command.addAll(List.of(java, "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow"); // netty's, until it moves off Unsafe
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "daemon", "run"));
    return new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(files.log().toFile()))
        .redirectErrorStream(true)
        .start();
  }
}
