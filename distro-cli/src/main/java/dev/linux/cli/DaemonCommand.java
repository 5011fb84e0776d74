package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.EnvException;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.daemon.Daemon;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.DaemonFiles;
import dev.linux.env.daemon.DaemonStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "daemon",
    description = {
      "The per-user daemon that owns running environments.",
      "Commands start it when they need it. It shares one agent connection per VM",
      "among all sessions, stops environments idle past their idle timeout, keeps",
      "guest clocks in step, and exits once nothing runs. VMs outlive it: the next",
      "daemon adopts them. Its log: daemon.log in the data directory.",
      "",
      "  linux daemon status --json",
      "  linux daemon stop            environments keep running",
    },
    subcommands = {
      DaemonCommand.Start.class, DaemonCommand.Stop.class, DaemonCommand.Status.class, DaemonCommand.Run.class
    })
final class DaemonCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static Progress notices(PrintWriter err) {
    return new TerminalProgress(err, false);
  }

  @Command(name = "start", description = "Start the daemon unless it runs.")
  static final class Start implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      LinuxHome home = CliEnvironment.home();
      try (DaemonClient daemon = DaemonClient.connect(home, notices(spec.commandLine().getErr()), new DaemonLauncher())) {
        spec.commandLine().getErr().println("daemon running (pid " + daemon.status().pid() + ")");
      }
      return 0;
    }
  }

  @Command(name = "stop", description = {"Stop the daemon (running environments keep running).", "With --environments, stop them first."})
  static final class Stop implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--environments", description = "Stop every running environment first.")
    boolean environments;

    @Override
    public Integer call() {
      Optional<DaemonClient> daemon = DaemonClient.ifRunning(CliEnvironment.home(), notices(spec.commandLine().getErr()));
      if (daemon.isEmpty()) {
        spec.commandLine().getErr().println("daemon not running");
        return 0;
      }
      try (DaemonClient client = daemon.get()) {
        long pid = client.status().pid();
        client.exit(environments);
        spec.commandLine().getErr().println("daemon stopped (pid " + pid + ")");
      }
      return 0;
    }
  }

  @Command(name = "status", description = {"Show the daemon's pid, version, uptime and the environments it runs.", "Exit status 3 when no daemon runs."})
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "One JSON object, for scripts.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Optional<DaemonClient> daemon = DaemonClient.ifRunning(CliEnvironment.home(), Progress.SILENT, true);
      if (daemon.isEmpty()) {
        if (json) {
          out.println("{\"running\": false}");
        } else {
          out.println("daemon not running");
        }
        return ErrorReporter.exitStatus(EnvException.Code.NOT_FOUND);
      }
      DaemonStatus status;
      try (DaemonClient client = daemon.get()) {
        status = client.status(true);
      }
      Duration uptime = Duration.between(status.started(), Instant.now());
      if (json) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("running", true);
        o.put("pid", status.pid());
        o.put("version", status.version());
        o.put("started", status.started().toString());
        o.put("uptimeSeconds", uptime.toSeconds());
        o.put("socket", status.socket().toString());
        List<Map<String, Object>> envs = status.environments().stream().map(e -> {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("name", e.name().value());
          row.put("state", e.state());
          row.put("vmPid", e.vmPid());
          row.put("openCalls", e.openCalls());
          row.put("sessionProcesses", e.sessionProcesses());
          row.put("idleSeconds", e.idle().toSeconds());
          row.put("idleTimeoutSeconds", e.idleTimeoutSeconds());
          return row;
        }).toList();
        o.put("environments", envs);
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
        return 0;
      }
      out.printf("daemon running: pid %d, version %s, up %s%n", status.pid(), status.version(), human(uptime));
      if (status.environments().isEmpty()) {
        out.println("no environments running");
        return 0;
      }
      String format = "%-16s %-9s %8s %9s %10s  %s%n";
      out.printf(format, "NAME", "STATE", "VM PID", "SESSIONS", "PROCESSES", "IDLE");
      for (DaemonStatus.Running e : status.environments()) {
        String idle = e.idle().isZero() ? "busy" : human(e.idle()) + (e.idleTimeoutSeconds() < 0 ? " (never stops)" : " of " + e.idleTimeoutSeconds() + " s");
        out.printf(format, e.name().value(), e.state(), e.vmPid(), e.openCalls(), e.sessionProcesses(), idle);
      }
      return 0;
    }

    private static String human(Duration d) {
      long s = d.toSeconds();
      return s < 120 ? s + " s" : s < 7200 ? (s / 60) + " min" : (s / 3600) + " h";
    }
  }

  @Command(name = "run", description = {"Run the daemon in the foreground, logging to stderr (for debugging;", "commands start it in the background by themselves)."})
  static final class Run implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      String version = new VersionProvider().getVersion()[0].replaceFirst("^linux ", "");
      boolean served = Daemon.run(CliEnvironment.home(), version, linger(), System.err);
      if (!served) {
        spec.commandLine().getErr().println("a daemon already runs for this linux home (" + DaemonFiles.of(CliEnvironment.home()).socket() + ")");
      }
      return 0;
    }

    /** LINUX_DAEMON_LINGER: seconds a daemon with nothing to do waits for a client before exiting. */
    private static Duration linger() {
      String value = System.getenv("LINUX_DAEMON_LINGER");
      if (value == null || value.isBlank()) {
        return Daemon.DEFAULT_LINGER;
      }
      try {
        long seconds = Long.parseLong(value.strip());
        if (seconds < 0) {
          throw new NumberFormatException();
        }
        return Duration.ofSeconds(seconds);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("LINUX_DAEMON_LINGER must be a number of seconds (0 or more), not '" + value + "'");
      }
    }
  }
}
