package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.linux.env.image.DebianBootstrap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apt-get update} inside a Debian environment succeeds on the default network (the traffic
 * goes only to the package archive this machine's apt sources name). The Debian image is
 * bootstrapped with mmdebstrap once into the test cache; when that cannot be done within {@code
 * -Dlinux.test.debianMinutes} (default 10), or mmdebstrap is missing, the test is skipped and says
 * why.
 */
class DebianNetworkIT {

  private static final String ENV = "netdeb";

  @TempDir static Path work;
  static CliProcess cli;
  static Path runtimeRoot;

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("daemon", "stop", "--environments");
    }
    if (runtimeRoot != null) {
      for (long pid : CrashSafetyIT.qemusUnder(runtimeRoot)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void aptGetUpdateSucceedsInsideADebianEnvironment() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/mmdebstrap")), "skipped: mmdebstrap is not installed (bin/test installs it)");
    DebianBootstrap bootstrap = DebianBootstrap.forThisHost();
    Path layout = debianLayout(bootstrap);
    runtimeRoot = Files.createDirectories(work.resolve("run"));
    cli = new CliProcess(System.getProperty("java.class.path"), work.resolve("home"), TestResources.kernelDir(), null)
        .env("XDG_RUNTIME_DIR", runtimeRoot.toString());
    var created = cli.run("create", ENV, "--image", "oci:" + layout + ":" + bootstrap.tag(), "--disk", "2G", "--memory", "512M");
    assertEquals(0, created.exit(), created.toString());
    var update = cli.run("run", ENV, "--", "apt-get", "update");
    assertEquals(0, update.exit(), update.toString());
    var resolv = cli.run("run", ENV, "--", "cat", "/etc/resolv.conf");
    assertEquals("nameserver 10.0.2.3", resolv.out().lines().filter(l -> l.startsWith("nameserver")).findFirst().orElse(""),
        resolv.out());
  }

  /** The cached Debian image layout, bootstrapped once; skips the test when it cannot be made in time. */
  private static Path debianLayout(DebianBootstrap bootstrap) throws Exception {
    Path layout = TestResources.cacheDir().resolve("debian-layout");
    Path done = layout.resolve(".complete");
    if (Files.exists(done)) {
      return layout;
    }
    long minutes = Long.getLong("linux.test.debianMinutes", 10);
    CompletableFuture<Void> made = CompletableFuture.runAsync(() -> {
      try {
        Files.createDirectories(layout);
        bootstrap.bootstrap(layout);
        Files.createFile(done);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      made.get(minutes, TimeUnit.MINUTES);
    } catch (TimeoutException e) {
      made.cancel(true);
      assumeTrue(false, "skipped: the Debian image could not be bootstrapped within " + minutes
          + " minutes (-Dlinux.test.debianMinutes=N allows more)");
    } catch (java.util.concurrent.ExecutionException e) {
      assumeTrue(false, "skipped: the Debian image could not be bootstrapped: " + e.getCause().getMessage());
    }
    return layout;
  }
}
