package dev.linux.cli;

import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.daemon.Daemon;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.DaemonFiles;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;

/**
 * The training run behind the launcher's ahead-of-time cache (JDK 25 and later: {@code
 * -XX:AOTMode=record}): it walks the paths a short command takes — picocli, the configuration, the
 * daemon client, a relayed agent call and its error, the error reporter — against a daemon of its
 * own in an empty {@code LINUX_HOME} (the launcher sets one up), so no VM and none of the user's
 * files are involved. The cache then holds those classes loaded and linked, which takes about a
 * third off every command's start-up.
 */
final class StartupTraining {

  private StartupTraining() {}

  public static void main(String[] args) throws Exception {
    LinuxHome home = CliEnvironment.home();
    if (System.getenv("LINUX_HOME") == null) {
      throw new IllegalStateException("set LINUX_HOME to an empty directory for the training run");
    }
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    CompletableFuture<Boolean> daemon = Daemon.runInBackground(home, "training", Duration.ofMinutes(1), new PrintStream(sink, true));
    DaemonClient client = DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(10));
    for (List<String> command : List.of(
        List.of("--help"), List.of("run", "--help"), List.of("list", "--json"), List.of("list"),
        List.of("daemon", "status", "--json"), List.of("inspect", "nope"), List.of("run", "nope", "--", "true"),
        List.of("enter", "--help"), List.of("config", "list"), List.of("image", "ls"))) {
      CommandLine cli = Main.newCommandLine();
      cli.setOut(new PrintWriter(sink, true));
      cli.setErr(new PrintWriter(sink, true));
      cli.execute(command.toArray(String[]::new));
    }
    try (GuestAgent agent = AgentChannel.relayed(DaemonFiles.of(home).socket(), "nope")) {
      agent.ping(Duration.ofSeconds(5));
    } catch (AgentException expected) {
      // the error path is part of what a command runs through
    }
    client.exit(false);
    client.close();
    daemon.get();
  }
}
