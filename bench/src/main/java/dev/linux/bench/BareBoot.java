package dev.linux.bench;

import dev.linux.vm.Accelerator;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.QemuCommandLine;
import dev.linux.vm.VmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference boot: our exact QEMU command line (same machine, devices, accelerator, kernel and
 * kernel arguments), but with an initramfs whose init is a busybox script that powers off at once,
 * run in the foreground and timed from QEMU's start to its exit.
 */
final class BareBoot {

  private final VmSpec spec;

  BareBoot(GuestKernel kernel, Accelerator accelerator, Path work) throws IOException, InterruptedException {
    Path dir = Files.createDirectories(work.resolve("bare"));
    Path initrd = trivialInitrd(dir);
    Path disk = dir.resolve("disk.img");
    try (var f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(64L << 20);
    }
    Path run = Files.createDirectories(dir.resolve("run"));
    spec = new VmSpec("bare", kernel.vmlinuz(), initrd, disk, 1, 256L << 20, accelerator, run,
        dir.resolve("console.log"), "bare", List.of());
  }

  long bootToPowerOffNanos() throws IOException, InterruptedException {
    List<String> command = foreground(QemuCommandLine.build(spec.withClockHint(), "qemu-system-x86_64"));
    long start = System.nanoTime();
    Process qemu = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!qemu.waitFor(5, TimeUnit.MINUTES)) {
      qemu.destroyForcibly();
      throw new IllegalStateException("the bare kernel did not power off within 5 minutes");
    }
    long elapsed = System.nanoTime() - start;
    String console = Files.readString(spec.consoleLog());
    if (!console.contains("bare-init-reached")) {
      throw new IllegalStateException("the trivial init did not run; console: " + console);
    }
    return elapsed;
  }

  /** The same command without {@code -daemonize} and {@code -pidfile}, so QEMU runs in the foreground. */
  static List<String> foreground(List<String> command) {
    List<String> result = new ArrayList<>();
    for (int i = 0; i < command.size(); i++) {
      String arg = command.get(i);
      if (arg.equals("-daemonize")) {
        continue;
      }
      if (arg.equals("-pidfile")) {
        i++;
        continue;
      }
      result.add(arg);
    }
    return result;
  }

  private static Path trivialInitrd(Path dir) throws IOException, InterruptedException {
    Path root = Files.createDirectories(dir.resolve("initrd-root"));
    Files.createDirectories(root.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
    Path init = root.resolve("init");
    Files.writeString(init, "#!/bin/busybox sh\n/bin/busybox mkdir -p /dev\n/bin/busybox mount -t devtmpfs dev /dev\n"
        + "/bin/busybox echo bare-init-reached > /dev/ttyS0\n/bin/busybox poweroff -f\n");
    Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path initrd = dir.resolve("initrd.cpio");
    Process cpio = new ProcessBuilder("sh", "-c", "find . | cpio -o -H newc --quiet > " + initrd)
        .directory(root.toFile()).redirectErrorStream(true).start();
    if (cpio.waitFor() != 0) {
      throw new IOException("cpio failed: " + new String(cpio.getInputStream().readAllBytes()));
    }
    return initrd;
  }
}
