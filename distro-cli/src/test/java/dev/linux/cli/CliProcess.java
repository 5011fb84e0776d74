package dev.linux.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code linux} CLI in a separate JVM, as a user would (optionally as another user
 * through {@code runuser}), with its own environment variables, stdin bytes, and captured output.
 */
final class CliProcess {

  /** What a finished command left behind. */
  record Result(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + out() + "\nstderr: " + stderr;
    }
  }

  private final String classpath;
  private final Map<String, String> env = new TreeMap<>();
  private final String runAsUser;
  private final Path linuxHome;
  private Path directory;

  CliProcess(String classpath, Path linuxHome, Path kernelDir, String runAsUser) {
    this.classpath = classpath;
    this.runAsUser = runAsUser;
    this.linuxHome = linuxHome;
    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("LINUX_HOME", linuxHome.toString());
    env.put("LINUX_KERNEL", kernelDir.toString());
    env.put("LANG", "C.UTF-8");
  }

  CliProcess env(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** Runs later commands in {@code dir} (default: the test's own working directory). */
  CliProcess directory(Path dir) {
    this.directory = dir;
    return this;
  }

  Result run(String... args) throws IOException, InterruptedException {
    return run(new byte[0], args);
  }

  Result run(byte[] stdin, String... args) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command(args)).directory(directory == null ? null : directory.toFile()).start();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin);
    } catch (IOException e) {
      // the command did not read all of its input; that is its business
    }
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("linux " + String.join(" ", args) + " did not finish in 10 minutes");
    }
    return new Result(process.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
  }

  /**
   * Runs {@code linux ARGS...} with its standard input closed, as {@code linux ... <&-} in a shell
   * does (the JVM is started directly, not through {@code bin/linux}, which would reopen it).
   */
  Result runWithStdinClosed(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" <&-", "sh"));
    command.addAll(command(args));
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    process.getOutputStream().close();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("linux " + String.join(" ", args) + " did not finish in 10 minutes");
    }
    return new Result(process.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
  }

  /** The full command line that runs {@code linux ARGS...} with this environment. */
  List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    if (runAsUser != null) {
      command.addAll(List.of("runuser", "-u", runAsUser, "--"));
    }
    command.add("env");
    command.add("-i");
    env.forEach((k, v) -> command.add(k + "=" + v));
    if (runAsUser != null) {
      if (!env.containsKey("HOME")) {
        command.add("HOME=/home/" + runAsUser);
      }
      command.add("USER=" + runAsUser);
    } else if (!env.containsKey("HOME")) {
      // Not root's real home: environments share the host home by default, and tests must not
      // write into /root through it (nor lose the guest's own /root under it).
      command.add("HOME=" + hostHome());
    }
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-cp", classpath, "dev.linux.cli.Main"));
    command.addAll(List.of(args));
    return command;
  }

  /** The home a test's CLI runs with as root: {@code LINUX_HOME/host-home}, made on first use. */
  private String hostHome() {
    Path home = linuxHome.resolve("host-home");
    try {
      java.nio.file.Files.createDirectories(home);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return home.toString();
  }

  private static CompletableFuture<byte[]> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        stream.transferTo(buffer);
        return buffer.toByteArray();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, Thread::startVirtualThread);
  }
}
