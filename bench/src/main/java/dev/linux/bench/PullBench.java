package dev.linux.bench;

import dev.linux.env.fs.FileTrees;
import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.env.image.DebianBootstrap;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.ImageStore;
import dev.linux.env.image.OciLayout;
import dev.linux.env.image.Platform;
import dev.linux.env.registry.ImagePuller;
import dev.linux.env.registry.RegistryClient;
import dev.linux.env.registry.RetryPolicy;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Row "registry pull": a Debian image pulled from a local {@code docker-registry} by our client
 * into a fresh store, against {@code skopeo copy} of the same image into a fresh OCI layout, both
 * in this run, alternating, median of N rounds. Row "image → environment": writing the pulled
 * image into a new environment's EXT4 disk (no boot).
 *
 * <p>The Debian image comes from the user's image store when it holds the default image, else it
 * is bootstrapped with mmdebstrap (minutes). {@code --busybox} uses the small busybox image
 * instead, for a quick check of the harness.
 */
public final class PullBench {

  public static void main(String[] args) throws Exception {
    int rounds = 3;
    boolean busybox = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--busybox" -> busybox = true;
        default -> throw new IllegalArgumentException("usage: PullBench [--rounds N] [--busybox]");
      }
    }
    Path work = Files.createTempDirectory("linux-pullbench-");
    Process registry = null;
    try {
      Path source;
      String tag;
      if (busybox) {
        source = work.resolve("source");
        tag = BusyboxImage.DEFAULT_TAG;
        BusyboxImage.build(source, tag);
      } else {
        DebianBootstrap bootstrap = DebianBootstrap.forThisHost();
        tag = bootstrap.tag();
        Path userStore = LinuxHome.fromEnvironment(System.getenv()).images();
        if (Files.isRegularFile(userStore.resolve("index.json")) && OciLayout.open(userStore).hasTag(tag)) {
          source = userStore;
        } else {
          source = work.resolve("source");
          System.err.println("bootstrapping " + tag + " with mmdebstrap (minutes)...");
          bootstrap.bootstrap(source);
        }
      }
      int port = freePort();
      registry = startRegistry(work, port);
      String address = "127.0.0.1:" + port;
      String name = address + "/bench/image:latest";
      run(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + source + ":" + tag, "docker://" + name));
      long size = OciLayout.open(source).image(tag).compressedSize();

      List<Long> ours = new ArrayList<>();
      List<Long> skopeo = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        Path store = work.resolve("ours-" + round);
        long t0 = System.nanoTime();
        new ImagePuller(new RegistryClient(RegistryClient.newHttpClient(), r -> Optional.empty(), Set.of(), RetryPolicy.DEFAULT),
            ImageStore.open(store), 4).pull(ImageRef.parse(name), Platform.host(), ImagePuller.Listener.NONE);
        ours.add(System.nanoTime() - t0);
        FileTrees.delete(store);

        Path layout = work.resolve("skopeo-" + round);
        long t1 = System.nanoTime();
        run(List.of("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + name, "oci:" + layout + ":latest"));
        skopeo.add(System.nanoTime() - t1);
        FileTrees.delete(layout);
      }
      long oursMedian = median(ours);
      long skopeoMedian = median(skopeo);
      System.out.printf(Locale.ROOT, "%-26s %10s %12s %12s %8s%n", "row", "size", "ours", "reference", "ratio");
      System.out.printf(Locale.ROOT, "%-26s %10s %10.0fms %10.0fms %8.2f  (reference: skopeo copy docker:// -> oci:)%n",
          "registry pull", new ByteSize(size).human(), oursMedian / 1e6, skopeoMedian / 1e6, (double) oursMedian / skopeoMedian);

      LinuxHome home = new LinuxHome(work.resolve("home"), work.resolve("home/config"), work.resolve("run"));
      Environments environments = new Environments(home, Progress.SILENT, Optional.empty());
      CreateOptions options = new CreateOptions(name, ByteSize.parse("4G"), 1, ByteSize.parse("512M"));
      environments.create(EnvName.of("warm"), options); // pulls into the store
      long t2 = System.nanoTime();
      environments.create(EnvName.of("bench"), options);
      long write = System.nanoTime() - t2;
      System.out.printf(Locale.ROOT, "%-26s %10s %10.0fms %12s %8s  (EXT4 write from the store, no boot)%n",
          "image -> environment", new ByteSize(size).human(), write / 1e6, "-", "-");
    } finally {
      if (registry != null) {
        registry.destroy();
        registry.waitFor(5, TimeUnit.SECONDS);
      }
      FileTrees.delete(work);
    }
  }

  private static Process startRegistry(Path work, int port) throws IOException, InterruptedException {
    Path config = work.resolve("registry.yml");
    Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
        + work.resolve("registry") + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
    Process p = new ProcessBuilder("docker-registry", "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("registry.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return p;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IOException("docker-registry did not start");
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

}
