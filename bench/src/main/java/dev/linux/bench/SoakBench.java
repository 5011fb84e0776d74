package dev.linux.bench;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.daemon.Daemon;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.DaemonFiles;
import dev.linux.env.fs.FileTrees;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.KernelProvisioner;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The daemon under sustained load: {@code --sessions} sessions (default 8), each its own client
 * connection to a daemon running as a separate process, run {@code --commands} commands each
 * (default 500) on one environment. Every command's output, error output and exit status is
 * checked (echo, exit codes, stdin piped through {@code cat}, stderr). The daemon's open file
 * descriptors, threads and resident memory are read from {@code /proc} after a warm-up and at the
 * end; zombies are counted in the guest and among the daemon's children. Prints the figures and
 * exits non-zero when a command went wrong, a zombie is left, or descriptors or threads grew.
 */
public final class SoakBench {

  public static void main(String[] args) throws Exception {
    int sessions = option(args, "--sessions", 8);
    int commands = option(args, "--commands", 500);
    Path work = Files.createTempDirectory("linux-soak-");
    Process daemon = null;
    try {
      LinuxHome userHome = LinuxHome.fromEnvironment(System.getenv());
      GuestKernel kernel =
          new KernelProvisioner(userHome.data(), System.err::println).ensureDistributionKernel();
      LinuxHome home =
          new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run"));
      Files.createDirectories(home.config());
      Files.writeString(
          home.config().resolve("linux.conf"),
          "idleTimeout = -1\nkernel = " + kernel.vmlinuz().getParent() + "\n");
      Path image = Files.createDirectories(work.resolve("image"));
      BusyboxImage.build(image, "busybox");
      Environments environments =
          new Environments(home, Progress.SILENT, Optional.of(kernel.vmlinuz().getParent()));
      EnvName name = EnvName.of("soak");
      environments.create(
          name,
          new CreateOptions(
              "oci:" + image + ":busybox", ByteSize.parse("256M"), 2, ByteSize.parse("512M")));
      try {
        daemon = startDaemon(home, work.resolve("daemon.log"));
        DaemonClient client = DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(60));
        client.start(name);
        Path socket = DaemonFiles.of(home).socket();
        long pid = daemon.pid();

        runAll(socket, name, sessions, 20); // warm-up: connections, threads and JIT settle
        Thread.sleep(2_000);
        Sample before = Sample.of(pid);
        long started = System.nanoTime();
        List<String> failures = runAll(socket, name, sessions, commands);
        double seconds = (System.nanoTime() - started) / 1e9;
        Thread.sleep(3_000); // let finished calls release what they held
        Sample after = Sample.of(pid);
        int guestZombies;
        try (GuestAgent agent = AgentChannel.relayed(socket, name.value())) {
          guestZombies =
              Integer.parseInt(
                  run(
                          agent,
                          "sh",
                          "-c",
                          "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
                      .stdout
                      .strip());
        }
        int hostZombies = zombieChildren(pid);
        client.exit(true);
        client.close();

        int total = sessions * commands;
        System.out.printf(
            Locale.ROOT,
            "soak: %d sessions x %d commands = %d commands in %.1f s (%.1f ms/command), %d failed%n",
            sessions,
            commands,
            total,
            seconds,
            seconds * 1000 / total,
            failures.size());
        String format = "%-22s %10s %10s%n";
        System.out.printf(format, "daemon", "after warm-up", "at end");
        System.out.printf(format, "open descriptors", before.fds, after.fds);
        System.out.printf(format, "threads", before.threads, after.threads);
        System.out.printf(format, "resident memory", mib(before.rssKib), mib(after.rssKib));
        System.out.printf("zombies: %d in the guest, %d among the daemon's children%n", guestZombies, hostZombies);
        failures.stream().limit(10).forEach(f -> System.out.println("failed: " + f));
        boolean ok =
            failures.isEmpty()
                && guestZombies == 0
                && hostZombies == 0
                && after.fds <= before.fds + 4
                && after.threads <= before.threads + 4;
        System.out.println(ok ? "soak: passed" : "soak: FAILED");
        if (!ok) {
          System.exit(1);
        }
      } finally {
        if (daemon != null && daemon.isAlive()) {
          daemon.destroy();
          daemon.waitFor(10, TimeUnit.SECONDS);
        }
        environments.remove(name, true);
      }
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  /** The daemon in a process of its own, so that its descriptors and threads can be counted. */
  private static Process startDaemon(LinuxHome home, Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            DaemonMain.class.getName(),
            home.data().toString(),
            home.config().toString(),
            home.runtime().toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** Runs the daemon for {@link #startDaemon}. */
  public static final class DaemonMain {
    public static void main(String[] args) throws Exception {
      LinuxHome home = new LinuxHome(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
      Daemon.run(home, "soak", Duration.ofMinutes(30), System.out);
    }
  }

  private static List<String> runAll(Path socket, EnvName name, int sessions, int commands)
      throws Exception {
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(sessions);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        int session = s;
        futures.add(
            pool.submit(
                () -> {
                  Random random = new Random(session);
                  try (GuestAgent agent = AgentChannel.relayed(socket, name.value())) {
                    for (int i = 0; i < commands; i++) {
                      String failure = oneCommand(agent, session, i, random);
                      if (failure != null) {
                        failures.add("session " + session + " command " + i + ": " + failure);
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return new ArrayList<>(failures);
  }

  /** One checked command of four kinds in turn; returns what was wrong, or null. */
  private static String oneCommand(GuestAgent agent, int session, int i, Random random) {
    try {
      switch (i % 4) {
        case 0 -> {
          String word = "soak-" + session + "-" + i;
          Result r = run(agent, "echo", word);
          return expect(r, 0, word + "\n", "");
        }
        case 1 -> {
          int code = i % 7;
          return expect(run(agent, "sh", "-c", "exit " + code), code, "", "");
        }
        case 2 -> {
          byte[] input = new byte[1 + random.nextInt(64 * 1024)];
          random.nextBytes(input);
          Result r = run(agent, input, "cat");
          if (r.status != 0 || !Arrays.equals(r.stdoutBytes, input)) {
            return "cat of " + input.length + " bytes gave status " + r.status + " and "
                + r.stdoutBytes.length + " bytes" + (r.status == 0 ? " that differ" : "");
          }
          return null;
        }
        default -> {
          return expect(run(agent, "sh", "-c", "echo oops >&2; exit 3"), 3, "", "oops\n");
        }
      }
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static String expect(Result r, int status, String stdout, String stderr) {
    if (r.status == status && r.stdout.equals(stdout) && r.stderr.equals(stderr)) {
      return null;
    }
    return "status " + r.status + ", stdout " + quote(r.stdout) + ", stderr " + quote(r.stderr)
        + " (wanted " + status + ", " + quote(stdout) + ", " + quote(stderr) + ")";
  }

  private static String quote(String s) {
    return '"' + s.replace("\n", "\\n") + '"';
  }

  private record Result(int status, byte[] stdoutBytes, String stdout, String stderr) {}

  private static Result run(GuestAgent agent, String... argv) throws Exception {
    return run(agent, new byte[0], argv);
  }

  private static Result run(GuestAgent agent, byte[] input, String... argv) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession exec = agent.exec(ProcessSpec.of(argv), out, err)) {
      try (OutputStream stdin = exec.stdin()) {
        stdin.write(input);
      }
      int status = exec.waitFor();
      return new Result(
          status,
          out.toByteArray(),
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    }
  }

  /** Open descriptors, threads and resident memory of a process, from /proc. */
  private record Sample(long fds, long threads, long rssKib) {
    static Sample of(long pid) throws IOException {
      Path proc = Path.of("/proc", Long.toString(pid));
      long fds;
      try (Stream<Path> entries = Files.list(proc.resolve("fd"))) {
        fds = entries.count();
      }
      long threads = 0;
      long rss = 0;
      for (String line : Files.readAllLines(proc.resolve("status"))) {
        if (line.startsWith("Threads:")) {
          threads = Long.parseLong(line.substring(8).strip());
        } else if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.substring(6).replace("kB", "").strip());
        }
      }
      return new Sample(fds, threads, rss);
    }
  }

  /** Children of {@code pid} that are zombies (exited, never reaped). */
  private static int zombieChildren(long pid) {
    return (int)
        ProcessHandle.of(pid).stream()
            .flatMap(ProcessHandle::children)
            .filter(child -> isZombie(child.pid()))
            .count();
  }

  private static boolean isZombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  private static String mib(long kib) {
    return String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
  }

  private static int option(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }

  private SoakBench() {}
}
