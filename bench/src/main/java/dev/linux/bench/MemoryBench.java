package dev.linux.bench;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.vm.AcceleratorChoice;
import dev.linux.vm.AcceleratorProbe;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.KernelProvisioner;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Host memory of an environment: QEMU's resident set while a busybox environment sits idle, and
 * how much of 1 GiB that the guest fills and then frees comes back to the host within 30 s (free
 * page reporting), sampled every second. The reference for the second row is the peak it reached.
 *
 * <p>{@code --idle-seconds N} (default 10): how long the booted environment settles before its
 * idle size is read.
 */
public final class MemoryBench {

  private static final long GIB = 1L << 30;
  private static final int RETURN_WINDOW_SECONDS = 30;

  public static void main(String[] args) throws Exception {
    int idleSeconds = args.length == 2 && args[0].equals("--idle-seconds") ? Integer.parseInt(args[1]) : 10;
    Path work = Files.createTempDirectory("linux-bench-");
    try {
      LinuxHome userHome = LinuxHome.fromEnvironment(System.getenv());
      GuestKernel kernel = new KernelProvisioner(userHome.data(), System.err::println).ensureDistributionKernel();
      AcceleratorChoice accel = AcceleratorProbe.host().choose();
      System.out.println("accelerator: " + accel.accelerator() + (accel.notice().isEmpty() ? "" : " (" + accel.notice() + ")"));
      System.out.println("kernel:      " + kernel.version());
      System.out.println("guest:       busybox, 1536 MiB, 1 CPU");
      System.out.println();

      Path image = Files.createDirectories(work.resolve("image"));
      BusyboxImage.build(image, "busybox");
      Environments environments = new Environments(
          new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run")),
          Progress.SILENT, Optional.of(kernel.vmlinuz().getParent()));
      EnvName name = EnvName.of("membench");
      environments.create(name, new CreateOptions("oci:" + image + ":busybox", ByteSize.parse("256M"), 1, ByteSize.parse("1536M")));
      try {
        guest(environments, name, "true");
        long pid = environments.list().getFirst().pid().orElseThrow();
        Thread.sleep(Duration.ofSeconds(idleSeconds));
        long idle = rssBytes(pid);

        // tmpfs pages are ordinary guest memory; a tmpfs of our own, as /tmp's is capped at half of RAM.
        guest(environments, name, "mkdir -p /mnt/fill && mount -t tmpfs -o size=1100m fill /mnt/fill"
            + " && dd if=/dev/zero of=/mnt/fill/x bs=1M count=1024 2>/dev/null");
        long peak = rssBytes(pid);
        guest(environments, name, "rm /mnt/fill/x && umount /mnt/fill");
        long lowest = peak;
        int lowestAt = 0;
        for (int second = 1; second <= RETURN_WINDOW_SECONDS; second++) {
          Thread.sleep(1000);
          long rss = rssBytes(pid);
          if (rss < lowest) {
            lowest = rss;
            lowestAt = second;
          }
        }
        long returned = Math.max(0, peak - lowest);

        String format = "%-34s %12s   %-26s %12s   %7s%n";
        System.out.printf(format, "ROW", "OURS", "REFERENCE", "REF", "RATIO");
        System.out.printf(format, "QEMU RSS, idle environment", mib(idle), "guest memory", mib(1536L << 20),
            ratio(idle, 1536L << 20));
        System.out.printf(format, "returned of 1 GiB in " + RETURN_WINDOW_SECONDS + " s", mib(returned),
            "peak RSS after filling", mib(peak), ratio(returned, GIB));
        System.out.println();
        System.out.printf(Locale.ROOT, "RSS: idle %s, peak %s, lowest %s after %d s (ratio: returned / 1 GiB)%n",
            mib(idle), mib(peak), mib(lowest), lowestAt);
      } finally {
        environments.remove(name, true);
      }
    } finally {
      FileTrees.delete(work);
    }
  }

  /** Runs {@code sh -c script} as root in the environment; fails on a non-zero exit. */
  private static void guest(Environments environments, EnvName name, String script) throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (GuestAgent agent = environments.connect(name);
        ExecSession session = agent.exec(ProcessSpec.of("sh", "-c", script).withUser("root"),
            java.io.OutputStream.nullOutputStream(), err)) {
      int status = session.waitFor();
      if (status != 0) {
        throw new IllegalStateException("`" + script + "` exited with " + status + ": " + err);
      }
    }
  }

  /** VmRSS of a process, from {@code /proc/PID/status}. */
  static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring("VmRSS:".length()).replace("kB", "").strip()) * 1024;
      }
    }
    throw new IOException("no VmRSS for pid " + pid);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%d MiB", bytes >> 20);
  }

  private static String ratio(long ours, long reference) {
    return String.format(Locale.ROOT, "%.2f", (double) ours / reference);
  }

  private MemoryBench() {}
}
