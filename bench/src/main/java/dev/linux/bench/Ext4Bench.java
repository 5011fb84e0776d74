package dev.linux.bench;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.ext4.Ext4Options;
import dev.linux.env.ext4.Ext4Writer;
import dev.linux.env.image.LayerApplier;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Benchmark row "layer to disk image": a synthetic image layer (many small files, a few big ones,
 * random content) written into an EXT4 image by our writer in a fresh JVM (process start
 * included), against the reference a user would otherwise chain: {@code tar -x} into a directory,
 * then {@code mkfs.ext4 -d}. Both are measured in this run, alternately, and reported with their
 * ratio (goal: at most 0.8) and our process's peak RSS.
 *
 * <p>{@code Ext4Bench [--rounds N] [--megabytes M]}; {@code Ext4Bench --apply TAR IMAGE BYTES} is
 * the child process's entry point.
 */
public final class Ext4Bench {
  private static final long IMAGE_BYTES = 2L << 30;

  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[0].equals("--apply")) {
      apply(Path.of(args[1]), Path.of(args[2]), Long.parseLong(args[3]));
      return;
    }
    if (args.length >= 2 && args[0].equals("--layer")) { // bench/run create: the same layer, for the CLI
      long[] counts = buildLayer(Path.of(args[1]), (args.length == 4 ? Integer.parseInt(args[3]) : 300L) << 20);
      System.out.printf(Locale.ROOT, "layer: %d files, %.0f MB of content%n", counts[0], counts[1] / 1e6);
      return;
    }
    int rounds = 3;
    int megabytes = 300;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--megabytes" -> megabytes = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path work = Files.createTempDirectory("linux-ext4-bench-");
    try {
      Path tar = work.resolve("layer.tar");
      long[] counts = buildLayer(tar, megabytes << 20);
      System.out.printf(Locale.ROOT, "layer: %d files, %.0f MB of content, tar %.0f MB; image %d GiB; rounds: %d (medians)%n",
          counts[0], counts[1] / 1e6, Files.size(tar) / 1e6, IMAGE_BYTES >> 30, rounds);
      List<Long> ours = new ArrayList<>();
      List<Long> reference = new ArrayList<>();
      long peakRss = 0;
      for (int i = 0; i < rounds; i++) {
        long[] run = ours(tar, work.resolve("ours.img"));
        ours.add(run[0]);
        peakRss = Math.max(peakRss, run[1]);
        reference.add(reference(tar, work.resolve("extract"), work.resolve("reference.img")));
      }
      run("e2fsck", "-fn", work.resolve("ours.img").toString()); // the measured output must be valid
      Bench.Table table = new Bench.Table();
      table.row("layer to disk image", Bench.median(ours), "tar -x + mkfs.ext4 -d", Bench.median(reference));
      table.print();
      System.out.printf(Locale.ROOT, "our writer's peak RSS: %.0f MiB (VmHWM)%n", peakRss / 1048576.0);
    } finally {
      FileTrees.delete(work);
    }
  }

  /** The child process: applies one layer tar to a new image. */
  static void apply(Path tar, Path image, long bytes) throws IOException {
    try (Ext4Writer writer = Ext4Writer.create(image, Ext4Options.ofSize(bytes));
        InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 20)) {
      new LayerApplier(writer, LayerApplier.Whiteouts.APPLY).apply(in, "layer " + tar.getFileName());
    }
  }

  /** Runs our writer in a fresh JVM; returns {elapsed nanos, peak RSS bytes}. */
  static long[] ours(Path tar, Path image) throws Exception {
    Files.deleteIfExists(image);
    String launcher = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(launcher, "-cp", System.getProperty("java.class.path"),
        Ext4Bench.class.getName(), "--apply", tar.toString(), image.toString(), Long.toString(IMAGE_BYTES));
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command).inheritIO().start();
    AtomicLong peak = new AtomicLong();
    Path status = Path.of("/proc", Long.toString(process.pid()), "status");
    while (!process.waitFor(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      peak.accumulateAndGet(highWaterMark(status), Math::max);
    }
    long elapsed = System.nanoTime() - start;
    if (process.exitValue() != 0) {
      throw new IllegalStateException("our writer exited with " + process.exitValue());
    }
    return new long[] {elapsed, peak.get()};
  }

  /** VmHWM of a running process in bytes, 0 once it is gone. */
  private static long highWaterMark(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process exited between the check and the read
    }
    return 0;
  }

  /** {@code tar -x} into a fresh directory, then {@code mkfs.ext4 -d}; returns elapsed nanos. */
  static long reference(Path tar, Path extract, Path image) throws Exception {
    FileTrees.delete(extract);
    Files.createDirectories(extract);
    Files.deleteIfExists(image);
    long start = System.nanoTime();
    run("tar", "-x", "-f", tar.toString(), "-C", extract.toString());
    run("mkfs.ext4", "-q", "-F", "-d", extract.toString(), image.toString(), (IMAGE_BYTES >> 20) + "M");
    long elapsed = System.nanoTime() - start;
    FileTrees.delete(extract);
    return elapsed;
  }

  private static void run(String... command) throws Exception {
    List<String> argv = new ArrayList<>(List.of(command));
    for (String dir : List.of("/usr/sbin", "/sbin")) {
      if (!Files.isExecutable(Path.of(argv.get(0))) && Files.isExecutable(Path.of(dir, command[0]))) {
        argv.set(0, Path.of(dir, command[0]).toString());
      }
    }
    Process p = new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue());
    }
  }

  /**
   * Writes a layer of random content: about 85% of the bytes in small files (1 to 32 KiB, spread
   * over nested directories, a few symlinks and hard links), the rest in four big files.
   * Returns {files, content bytes}.
   */
  static long[] buildLayer(Path tar, long bytes) throws IOException {
    Random random = new Random(42);
    byte[] buffer = new byte[1 << 20];
    long files = 0;
    long content = 0;
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20);
        TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      long small = bytes * 85 / 100;
      int n = 0;
      while (content < small) {
        String dir = "usr/share/pkg" + (n / 200) + "/sub" + (n / 20 % 10);
        if (n % 20 == 0) {
          TarArchiveEntry d = new TarArchiveEntry(dir + "/");
          d.setMode(040755);
          out.putArchiveEntry(d);
          out.closeArchiveEntry();
        }
        int size = 1024 + random.nextInt(31 * 1024);
        content += writeFile(out, dir + "/file-" + n + ".dat", size, random, buffer);
        files++;
        if (n % 500 == 0) {
          TarArchiveEntry link = new TarArchiveEntry(dir + "/link-" + n, TarArchiveEntry.LF_SYMLINK);
          link.setLinkName("file-" + n + ".dat");
          out.putArchiveEntry(link);
          out.closeArchiveEntry();
          TarArchiveEntry hard = new TarArchiveEntry(dir + "/hard-" + n, TarArchiveEntry.LF_LINK);
          hard.setLinkName(dir + "/file-" + n + ".dat");
          out.putArchiveEntry(hard);
          out.closeArchiveEntry();
        }
        n++;
      }
      for (int i = 0; i < 4; i++) {
        content += writeFile(out, "opt/big/blob-" + i, (bytes - small) / 4, random, buffer);
        files++;
      }
    }
    return new long[] {files, content};
  }

  private static long writeFile(TarArchiveOutputStream out, String name, long size, Random random,
      byte[] buffer) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(size);
    entry.setMode(0100644);
    out.putArchiveEntry(entry);
    for (long left = size; left > 0; ) {
      int n = (int) Math.min(buffer.length, left);
      random.nextBytes(buffer);
      out.write(buffer, 0, n);
      left -= n;
    }
    out.closeArchiveEntry();
    return size;
  }

  private Ext4Bench() {}
}
