package dev.linux.bench;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.daemon.Daemon;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.DaemonFiles;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.KernelProvisioner;
import dev.linux.vm.AgentChannel;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * What the daemon's relay costs: the same commands on the same running VM, once over a direct
 * agent connection held by this process (the reference) and once through the daemon, whose clients
 * each have their own connection to it while it relays every call onto its one connection to the
 * VM. Rows: one command after another, and {@code --sessions} sessions at once.
 *
 * <p>{@code --commands N} (default 200): commands per row; {@code --sessions S} (default 8).
 */
public final class SessionBench {

  public static void main(String[] args) throws Exception {
    int commands = option(args, "--commands", 200);
    int sessions = option(args, "--sessions", 8);
    Path work = Files.createTempDirectory("linux-bench-");
    try {
      LinuxHome userHome = LinuxHome.fromEnvironment(System.getenv());
      GuestKernel kernel = new KernelProvisioner(userHome.data(), System.err::println).ensureDistributionKernel();
      LinuxHome home = new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run"));
      Files.createDirectories(home.config());
      Files.writeString(home.config().resolve("linux.conf"), "idleTimeout = -1\nkernel = " + kernel.vmlinuz().getParent() + "\n");
      Path image = Files.createDirectories(work.resolve("image"));
      BusyboxImage.build(image, "busybox");
      Environments environments = new Environments(home, Progress.SILENT, Optional.of(kernel.vmlinuz().getParent()));
      EnvName name = EnvName.of("sessionbench");
      environments.create(name, new CreateOptions("oci:" + image + ":busybox", ByteSize.parse("256M"), 1, ByteSize.parse("512M")));
      System.out.println("guest: busybox, 512 MiB, 1 CPU; command: true; " + commands + " commands per row");
      System.out.println();
      try {
        double directSequential;
        double directParallel;
        try (GuestAgent agent = environments.connect(name)) {
          run(() -> agent, 20, 1); // warm-up
          directSequential = run(() -> agent, commands, 1);
          directParallel = run(() -> agent, commands, sessions);
        }

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CompletableFuture<Boolean> daemon = Daemon.runInBackground(home, "bench", Duration.ofMinutes(10), new PrintStream(log, true));
        DaemonClient client = DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(20));
        client.start(name);
        Path socket = DaemonFiles.of(home).socket();
        double relayedSequential;
        double relayedParallel;
        try (GuestAgent agent = AgentChannel.relayed(socket, name.value())) {
          run(() -> agent, 20, 1);
          relayedSequential = run(() -> agent, commands, 1);
        }
        relayedParallel = run(() -> AgentChannel.relayed(socket, name.value()), true, commands, sessions);
        client.exit(true);
        client.close();
        daemon.join();

        String format = "%-36s %14s   %-22s %14s   %7s%n";
        System.out.printf(format, "ROW", "DAEMON", "REFERENCE", "REF", "RATIO");
        System.out.printf(format, "one command after another", perCommand(relayedSequential, commands),
            "direct connection", perCommand(directSequential, commands), ratio(relayedSequential, directSequential));
        System.out.printf(format, sessions + " sessions at once", perCommand(relayedParallel, commands),
            "direct, " + sessions + " threads", perCommand(directParallel, commands), ratio(relayedParallel, directParallel));
        System.out.println();
        System.out.println("(per command: wall time of the row / commands; the daemon rows open one client connection per session)");
      } finally {
        environments.remove(name, true);
      }
    } finally {
      FileTrees.delete(work);
    }
  }

  /**
   * Runs {@code commands} commands split over {@code sessions} threads, each with an agent from
   * {@code agents} (closed afterwards if {@code ownAgents}), and returns the wall time in seconds.
   */
  private static double run(Supplier<GuestAgent> agents, int commands, int sessions) throws Exception {
    return run(agents, false, commands, sessions);
  }

  private static double run(Supplier<GuestAgent> agents, boolean ownAgents, int commands, int sessions) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(sessions);
    try {
      long started = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        int share = commands / sessions + (s < commands % sessions ? 1 : 0);
        futures.add(pool.submit(() -> {
          GuestAgent agent = agents.get();
          try {
            for (int i = 0; i < share; i++) {
              try (ExecSession exec = agent.exec(ProcessSpec.of("true"), OutputStream.nullOutputStream(), OutputStream.nullOutputStream())) {
                exec.stdin().close();
                int status = exec.waitFor();
                if (status != 0) {
                  throw new IllegalStateException("true exited with " + status);
                }
              }
            }
          } finally {
            if (ownAgents) {
              agent.close();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      return (System.nanoTime() - started) / 1e9;
    } finally {
      pool.shutdownNow();
    }
  }

  private static int option(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }

  private static String perCommand(double seconds, int commands) {
    return String.format(Locale.ROOT, "%.1f ms/cmd", seconds * 1000 / commands);
  }

  private static String ratio(double ours, double reference) {
    return String.format(Locale.ROOT, "%.2f", ours / reference);
  }

  private SessionBench() {}
}
