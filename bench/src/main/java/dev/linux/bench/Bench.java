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
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Prints each benchmark row next to its reference, both measured in this run, as a ratio.
 *
 * <p>Row "boot to first command": a stopped environment is booted and runs {@code true}; the
 * reference is the same kernel on the same QEMU machine and accelerator booting a trivial init that
 * powers off at once (kernel start to init, plus QEMU start and exit).
 */
public final class Bench {

  public static void main(String[] args) throws Exception {
    int rounds = args.length == 2 && args[0].equals("--rounds") ? Integer.parseInt(args[1]) : 3;
    Path work = Files.createTempDirectory("linux-bench-");
    try {
      LinuxHome userHome = LinuxHome.fromEnvironment(System.getenv());
      GuestKernel kernel = new KernelProvisioner(userHome.data(), System.err::println).ensureDistributionKernel();
      AcceleratorChoice accel = AcceleratorProbe.host().choose();
      System.out.println("accelerator: " + accel.accelerator() + (accel.notice().isEmpty() ? "" : " (" + accel.notice() + ")"));
      System.out.println("kernel:      " + kernel.version());
      System.out.println("rounds:      " + rounds + " (medians shown)");
      System.out.println();

      Path image = Files.createDirectories(work.resolve("image"));
      BusyboxImage.build(image, "busybox");
      Environments environments = new Environments(
          new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run")),
          Progress.SILENT, Optional.of(kernel.vmlinuz().getParent()));
      EnvName name = EnvName.of("bench");
      environments.create(name, new CreateOptions("oci:" + image + ":busybox", ByteSize.parse("256M"), 1, ByteSize.parse("256M")));

      BareBoot bare = new BareBoot(kernel, accel.accelerator(), work);
      List<Long> ours = new ArrayList<>();
      List<Long> reference = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        reference.add(bare.bootToPowerOffNanos());
        ours.add(bootToFirstCommandNanos(environments, name));
      }
      Table table = new Table();
      table.row("boot to first command", median(ours), "bare kernel to init", median(reference));
      table.print();
    } finally {
      FileTrees.delete(work);
    }
  }

  static long bootToFirstCommandNanos(Environments environments, EnvName name) throws Exception {
    long start = System.nanoTime();
    long elapsed;
    try (GuestAgent agent = environments.connect(name);
        ExecSession session = agent.exec(ProcessSpec.of("true"), OutputStream.nullOutputStream(), OutputStream.nullOutputStream())) {
      int status = session.waitFor();
      elapsed = System.nanoTime() - start;
      if (status != 0) {
        throw new IllegalStateException("`true` exited with " + status);
      }
    }
    environments.stop(name, Duration.ofSeconds(2));
    return elapsed;
  }

  static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  /** Rows of "ours vs reference = ratio". */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    void row(String what, long oursNanos, String reference, long referenceNanos) {
      rows.add(new String[] {
        what, seconds(oursNanos), reference, seconds(referenceNanos),
        String.format(Locale.ROOT, "%.2fx", (double) oursNanos / referenceNanos)
      });
    }

    void print() {
      String format = "%-24s %9s   %-22s %9s   %7s%n";
      System.out.printf(format, "ROW", "OURS", "REFERENCE", "REF", "RATIO");
      for (String[] r : rows) {
        System.out.printf(format, (Object[]) r);
      }
    }

    private static String seconds(long nanos) {
      return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
    }
  }

  private Bench() {}
}
