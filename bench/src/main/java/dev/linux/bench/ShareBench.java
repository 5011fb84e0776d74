package dev.linux.bench;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.NetworkSettings;
import dev.linux.env.Progress;
import dev.linux.env.ShareChanges;
import dev.linux.env.fs.FileTrees;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.share.ShareSpec;
import dev.linux.vm.AcceleratorChoice;
import dev.linux.vm.AcceleratorProbe;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.KernelProvisioner;
import dev.linux.vm.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A shared directory (virtiofs) against the environment's own disk, side by side in one boot:
 * sequential write and read of a large file (caches dropped before the read), a metadata walk
 * (create, stat and delete 10,000 small files), and a walk of a 20,000-file tree ({@code find |
 * wc -l} plus a {@code stat} of every file, warm: what {@code git status} does to a tree; the
 * busybox guest has no git). One environment per virtiofsd cache mode given.
 *
 * <p>The tree must stay below the host's open-file limit: virtiofsd keeps one file open per file
 * the guest has looked up (on a host with {@code ulimit -Hn} 20,000 a 20,000-file tree fails
 * with EMFILE; the figures in the README use {@code --tree 8000}).
 *
 * <p>{@code --modes auto,always} (default), {@code --megabytes N} (default 512), {@code --files N}
 * (default 10000), {@code --tree N} (default 20000), {@code --threads N} (virtiofsd's thread pool).
 */
public final class ShareBench {

  public static void main(String[] args) throws Exception {
    List<String> modes = List.of("auto", "always");
    int megabytes = 512;
    int files = 10_000;
    int tree = 20_000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--modes" -> modes = List.of(args[i + 1].split(","));
        case "--megabytes" -> megabytes = Integer.parseInt(args[i + 1]);
        case "--files" -> files = Integer.parseInt(args[i + 1]);
        case "--tree" -> tree = Integer.parseInt(args[i + 1]);
        case "--threads" -> System.setProperty("linux.virtiofsd.threads", args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path work = Files.createTempDirectory("linux-bench-share-");
    try {
      LinuxHome userHome = LinuxHome.fromEnvironment(System.getenv());
      GuestKernel kernel = new KernelProvisioner(userHome.data(), System.err::println).ensureDistributionKernel();
      AcceleratorChoice accel = AcceleratorProbe.host().choose();
      System.out.println("accelerator: " + accel.accelerator() + (accel.notice().isEmpty() ? "" : " (" + accel.notice() + ")"));
      System.out.println("guest:       busybox, 1 GiB, 2 CPUs; " + megabytes + " MiB file, " + files + " small files, "
          + tree + "-file tree");
      Path image = Files.createDirectories(work.resolve("image"));
      BusyboxImage.build(image, "busybox");
      Path shared = Files.createDirectories(work.resolve("shared"));
      makeTree(shared.resolve("tree"), tree);
      Environments environments = new Environments(
          new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run")),
          Progress.SILENT, Optional.of(kernel.vmlinuz().getParent()));
      EnvName name = EnvName.of("sharebench");
      environments.create(name, new CreateOptions("oci:" + image + ":busybox", ByteSize.parse("4G"), 2, ByteSize.parse("1G")),
          new ShareChanges(Optional.of(false), List.of(new ShareSpec(shared, "/mnt/share", false)), List.of()),
          NetworkSettings.DEFAULTS);
      String format = "%-44s %10s   %-18s %10s   %7s%n";
      try {
        // The same tree on the disk, copied once.
        guest(environments, name, "mkdir -p /bench && cp -a /mnt/share/tree /bench/tree");
        for (String mode : modes) {
          System.setProperty("linux.virtiofsd.cache", mode);
          environments.stop(name, Duration.ofSeconds(5));
          guest(environments, name, "true");
          System.out.println();
          System.out.println("virtiofsd cache=" + mode);
          System.out.printf(format, "ROW", "SHARE", "REFERENCE", "DISK", "RATIO");
          List<String[]> cases = List.of(
              new String[] {"sequential write " + megabytes + " MiB (fsync)",
                  "dd if=/dev/zero of=%s/big bs=1M count=" + megabytes + " conv=fsync 2>/dev/null", "prep:true"},
              new String[] {"sequential read " + megabytes + " MiB (cold)",
                  "dd if=%s/big of=/dev/null bs=1M 2>/dev/null", "prep:sync; echo 3 > /proc/sys/vm/drop_caches"},
              new String[] {"create " + files + " files",
                  "mkdir %1$s/m && cd %1$s/m && i=0; while [ $i -lt " + files + " ]; do : > f$i; i=$((i+1)); done", "prep:true"},
              new String[] {"stat " + files + " files", "cd %s/m && ls -l > /dev/null", "prep:true"},
              new String[] {"delete " + files + " files", "rm -r %s/m", "prep:true"},
              new String[] {"tree walk " + tree + " files (find|wc, stat)",
                  "find %1$s/tree | wc -l > /dev/null && find %1$s/tree -type f -exec stat -c %%Y {} + > /dev/null",
                  "prep:find %1$s/tree -type f -exec stat -c %%Y {} + > /dev/null"});
          for (String[] c : cases) {
            long share = timed(environments, name, c[1], c[2].substring(5), "/mnt/share");
            long disk = timed(environments, name, c[1], c[2].substring(5), "/bench");
            System.out.printf(format, c[0], ms(share), "own disk", ms(disk), String.format(Locale.ROOT, "%.2fx", (double) share / disk));
          }
          guest(environments, name, "rm -f /mnt/share/big /bench/big");
        }
      } finally {
        environments.remove(name, true);
      }
    } finally {
      FileTrees.delete(work);
    }
  }

  /** Milliseconds of {@code script} over {@code dir}, after {@code prep} (untimed). */
  private static long timed(Environments environments, EnvName name, String script, String prep, String dir) throws Exception {
    guest(environments, name, String.format(Locale.ROOT, prep, dir));
    long t0 = System.nanoTime();
    guest(environments, name, String.format(Locale.ROOT, script, dir));
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static void makeTree(Path root, int count) throws Exception {
    int perDir = 100;
    for (int i = 0; i < count; i++) {
      Path dir = root.resolve("d" + (i / perDir / perDir)).resolve("e" + (i / perDir % perDir));
      if (i % perDir == 0) {
        Files.createDirectories(dir);
      }
      Files.writeString(dir.resolve("f" + i + ".c"), "int f" + i + ";\n");
    }
  }

  private static String ms(long millis) {
    return millis + " ms";
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
}
