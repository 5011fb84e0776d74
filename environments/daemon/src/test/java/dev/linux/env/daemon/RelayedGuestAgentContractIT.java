package dev.linux.env.daemon;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.env.GlobalConfig;
import dev.linux.env.LinuxHome;
import dev.linux.env.Progress;
import dev.linux.env.testing.BusyboxImage;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.testing.GuestAgentContract;
import dev.linux.vm.testing.TestFiles;
import dev.linux.vm.testing.TestKernels;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The guest-agent contract through the daemon's relay: a daemon in this JVM on a home of its own
 * boots a busybox environment, and every check's agent is a relayed one ({@link
 * DaemonClient#connect}), whose calls go unparsed onto the daemon's one connection to the VM.
 */
class RelayedGuestAgentContractIT extends GuestAgentContract {

  private static final EnvName ENV = EnvName.of("contract");

  private static Path work;
  private static LinuxHome home;
  private static CompletableFuture<Boolean> served;
  private static DaemonClient client;

  @BeforeAll
  static void bootThroughTheDaemon() throws Exception {
    work = Files.createTempDirectory("relayed-contract");
    home = new LinuxHome(work.resolve("data"), work.resolve("config"), work.resolve("run"));
    Path kernelDir = TestKernels.distributionKernel().vmlinuz().getParent();
    GlobalConfig.load(home, Map.of()).set(GlobalConfig.Key.KERNEL, kernelDir.toString());
    Path layout = work.resolve("image");
    BusyboxImage.build(layout, BusyboxImage.DEFAULT_TAG);
    new Environments(home, Progress.SILENT, Optional.of(kernelDir))
        .create(ENV, new CreateOptions("oci:" + layout + ":" + BusyboxImage.DEFAULT_TAG,
            ByteSize.parse("256M"), 2, ByteSize.parse("512M")));
    served = Daemon.runInBackground(home, "test", Duration.ofMinutes(5),
        new PrintStream(Files.newOutputStream(work.resolve("daemon.log")), true));
    client = DaemonClient.await(home, Progress.SILENT, Duration.ofSeconds(30));
    long t0 = System.nanoTime();
    client.start(ENV);
    System.err.printf("[relay] %s started through the daemon in %d ms%n", ENV,
        (System.nanoTime() - t0) / 1_000_000);
  }

  @AfterAll
  static void stopTheDaemon() throws Exception {
    try {
      if (client != null) {
        try (DaemonClient c = client) {
          c.exit(true);
        }
        served.get(60, TimeUnit.SECONDS);
      }
    } finally {
      if (work != null && Files.exists(work.resolve("daemon.log"))) {
        System.err.println("[relay] daemon log:\n" + Files.readString(work.resolve("daemon.log")));
      }
      TestFiles.deleteUnlessKept(work);
    }
  }

  @Override
  protected GuestAgent connect() {
    return client.connect(ENV);
  }
}
