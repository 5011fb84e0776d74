package dev.linux.bench;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.daemon.Daemon;
import dev.linux.env.daemon.DaemonClient;
import dev.linux.env.daemon.ForwardedPort;
import dev.linux.env.daemon.PortsFile;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a forwarded port costs: a transfer from the host into a guest server through the port the
 * daemon forwarded (QEMU user-mode {@code hostfwd} on the environment's address), against the same
 * transfer inside the guest over its own loopback ({@code dd | nc 127.0.0.1}); beside them the
 * same bytes over the agent connection (an Exec'd {@code cat >/dev/null} fed through its stdin),
 * which is what a forwarder in the daemon tunnelling over that connection would ride on. Then
 * connection set-up: connect, one byte echoed, close, through the forward. The in-guest reference
 * checks that its sink received every byte (busybox {@code nc} reads in small pieces, and sender
 * and receiver share the guest's one emulated CPU, so it is a slow reference under TCG).
 *
 * <p>{@code --megabytes M} (default 1024): bytes per transfer; {@code --connections N} (default
 * 100): connections timed.
 */
public final class NetBench {

  private static final int SINK_PORT = 9100;
  private static final int ECHO_PORT = 9101;

  public static void main(String[] args) throws Exception {
    long megabytes = option(args, "--megabytes", 1024);
    int connections = (int) option(args, "--connections", 100);
    long bytes = megabytes << 20;
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
      EnvName name = EnvName.of("netbench");
      String address = environments.create(name, new CreateOptions("oci:" + image + ":busybox", ByteSize.parse("256M"), 1,
          ByteSize.parse("512M"))).address();
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      CompletableFuture<Boolean> daemon = Daemon.runInBackground(home, "bench", Duration.ofMinutes(30), new PrintStream(log, true));
      DaemonClient client = DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(20));
      try {
        client.start(name);
        System.out.println("guest: busybox, 512 MiB, 1 CPU; " + megabytes + " MiB per transfer; forwarded to " + address);
        System.out.println();
        try (GuestAgent agent = AgentChannel.relayed(dev.linux.env.daemon.DaemonFiles.of(home).socket(), name.value())) {
          background(agent, "nc -ll -p " + ECHO_PORT + " -e cat");
          awaitForward(home, name, ECHO_PORT);

          // The guest's own loopback: sender and receiver both in the guest.
          // The sink's stdin must stay open (busybox nc half-closes when its stdin ends); it
          // counts what it received, and the row ends when the count is written.
          background(agent, "(sleep 100000 | nc -l -p " + SINK_PORT + " | wc -c >/tmp/sink.count)");
          timed(agent, "until grep -qi ':" + String.format("%04X", SINK_PORT) + " ' /proc/net/tcp /proc/net/tcp6; do sleep 0.05; done");
          double loopback = timed(agent, "dd if=/dev/zero bs=64k count=" + (bytes >> 16) + " 2>/dev/null | nc 127.0.0.1 " + SINK_PORT
              + "; until [ -s /tmp/sink.count ]; do sleep 0.01; done");
          String received = output(agent, "cat /tmp/sink.count").strip();
          if (!received.equals(Long.toString(bytes))) {
            throw new IllegalStateException("the in-guest sink received " + received + " bytes, not " + bytes);
          }
          timed(agent, "kill $(pidof sleep) 2>/dev/null; true");

          background(agent, "nc -l -p " + SINK_PORT + " >/dev/null");
          awaitForward(home, name, SINK_PORT);
          double forwarded = sendThrough(address, SINK_PORT, bytes);

          double tunnel = throughExec(agent, bytes);

          List<Double> setup = new ArrayList<>();
          for (int i = 0; i < connections + 10; i++) {
            long t0 = System.nanoTime();
            echoOneByte(address, ECHO_PORT);
            if (i >= 10) {
              setup.add((System.nanoTime() - t0) / 1e6);
            }
          }
          Collections.sort(setup);

          String format = "%-44s %12s   %-34s %12s   %7s%n";
          System.out.printf(format, "ROW", "FORWARDED", "REFERENCE", "REF", "RATIO");
          System.out.printf(format, "host -> guest server, " + megabytes + " MiB", rate(bytes, forwarded),
              "in-guest loopback (dd | nc)", rate(bytes, loopback), String.format(Locale.ROOT, "%.2f", loopback / forwarded));
          System.out.printf(format, "", "", "agent connection (exec stdin)", rate(bytes, tunnel),
              String.format(Locale.ROOT, "%.2f", tunnel / forwarded));
          System.out.printf(format, "connect + 1 byte echoed + close (median)", String.format(Locale.ROOT, "%.1f ms", setup.get(setup.size() / 2)),
              "p90", String.format(Locale.ROOT, "%.1f ms", setup.get(setup.size() * 9 / 10)), "");
          System.out.println();
          System.out.println("(RATIO: forwarded throughput / reference throughput; the echo server forks `cat` per connection)");
        }
      } finally {
        client.exit(true);
        client.close();
        daemon.join();
        environments.remove(name, true);
      }
    } finally {
      FileTrees.delete(work);
    }
  }

  private static void background(GuestAgent agent, String command) throws Exception {
    timed(agent, command + " </dev/null >/dev/null 2>&1 &");
  }

  /** Runs {@code sh -c command} in the guest; returns its wall time in seconds. */
  private static double timed(GuestAgent agent, String command) throws Exception {
    long t0 = System.nanoTime();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession exec = agent.exec(ProcessSpec.of("sh", "-c", command), OutputStream.nullOutputStream(), err)) {
      exec.stdin().close();
      int status = exec.waitFor();
      if (status != 0) {
        throw new IllegalStateException(command + " exited with " + status + ": " + err.toString(StandardCharsets.UTF_8));
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static String output(GuestAgent agent, String command) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ExecSession exec = agent.exec(ProcessSpec.of("sh", "-c", command), out, out)) {
      exec.stdin().close();
      exec.waitFor();
    }
    return out.toString(StandardCharsets.UTF_8).strip();
  }

  /** {@code bytes} through the agent connection into {@code cat >/dev/null}, in seconds. */
  private static double throughExec(GuestAgent agent, long bytes) throws Exception {
    byte[] chunk = new byte[64 * 1024];
    long t0 = System.nanoTime();
    try (ExecSession exec = agent.exec(ProcessSpec.of("sh", "-c", "cat >/dev/null"), OutputStream.nullOutputStream(),
        OutputStream.nullOutputStream())) {
      try (OutputStream in = exec.stdin()) {
        for (long sent = 0; sent < bytes; sent += chunk.length) {
          in.write(chunk);
        }
      }
      exec.waitFor();
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Sends {@code bytes} to a guest sink and waits until it closed (it read everything), in seconds. */
  private static double sendThrough(String address, int port, long bytes) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port));
      OutputStream out = s.getOutputStream();
      for (long sent = 0; sent < bytes; sent += chunk.length) {
        out.write(chunk);
      }
      s.shutdownOutput();
      s.getInputStream().readAllBytes();
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void echoOneByte(String address, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port));
      s.setTcpNoDelay(true);
      s.getOutputStream().write('x');
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      if (in.read() != 'x') {
        throw new IOException("no echo");
      }
    }
  }

  private static void awaitForward(LinuxHome home, EnvName name, int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (PortsFile.read(home.files(name).runtime()).stream()
          .anyMatch(p -> p.guestPort() == port && p.state() == ForwardedPort.State.FORWARDED)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("port " + port + " was never forwarded");
  }

  private static String rate(long bytes, double seconds) {
    return String.format(Locale.ROOT, "%.0f MB/s", bytes / seconds / 1e6);
  }

  private static long option(String[] args, String name, long fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Long.parseLong(args[i + 1]);
      }
    }
    return fallback;
  }

  private NetBench() {}
}
