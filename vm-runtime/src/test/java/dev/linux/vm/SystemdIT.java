package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.linux.vm.testing.BootedVm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A Debian image with systemd (bootstrapped here with mmdebstrap from the host's apt sources)
 * booted with {@link VmSpec#SYSTEMD_KERNEL_ARG}: systemd becomes PID 1 of the environment's PID
 * namespace, reaches running or degraded, Exec'd processes live in its namespaces, and stop
 * leaves a clean disk. One test: the bootstrap and the boot take minutes under TCG.
 */
class SystemdIT {
  private Path work;
  private VirtualMachine vm;

  @AfterEach
  void cleanUp() throws Exception {
    if (vm != null && vm.isRunning()) {
      vm.stop(Duration.ofSeconds(2));
    }
    if (work != null && System.getProperty("linux.test.keep") == null) {
      KernelProvisioner.deleteTree(work);
    }
  }

  @Test
  void aDebianImageBootsSystemdToRunningOrDegradedAndStopsCleanly() throws Exception {
    assumeTrue(onPath("mmdebstrap"), "needs mmdebstrap");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for mmdebstrap into a directory");
    Path sources = hostSources();
    work = Files.createTempDirectory("systemdit");
    Path root = work.resolve("rootfs");
    long t0 = System.nanoTime();
    CpioWriterIT.run(work, "mmdebstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus,procps",
        "--quiet", hostSuite(), root.toString(), sources.toString());
    Path disk = work.resolve("disk.ext4");
    CpioWriterIT.run(work, "mkfs.ext4", "-q", "-F", "-d", root.toString(), disk.toString(), "2G");
    System.err.printf("[systemd] image built in %d s%n", (System.nanoTime() - t0) / 1_000_000_000);

    long boot = System.nanoTime();
    BootedVm booted = BootedVm.named("systemdit").work(work).memoryMib(1024)
        .kernelArg(VmSpec.SYSTEMD_KERNEL_ARG).readyTimeout(Duration.ofSeconds(180))
        .boot(w -> disk);
    vm = booted.vm();
    VmSpec spec = booted.spec();
    try (GuestAgent agent = vm.connectAgent()) {
      EnvironmentInfo env = agent.describeEnvironment();
      long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
      while (env.systemdState().equals("starting") || env.systemdState().isEmpty()
          || !(env.systemdUp() || env.systemdState().startsWith("failed") || env.systemdState().startsWith("timeout"))) {
        if (System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(1000);
        env = agent.describeEnvironment();
      }
      System.err.printf("[systemd] %s %d s after VM start (%s)%n", env.systemdState(),
          (System.nanoTime() - boot) / 1_000_000_000, spec.accelerator());
      assertTrue(env.systemdUp(), "systemd: " + env.systemdState() + "; console: " + vm.consoleTail(30));

      String state = run(agent, "systemctl", "is-system-running").strip();
      assertTrue(state.equals("running") || state.equals("degraded"), state);
      if (state.equals("degraded")) {
        System.err.println("[systemd] failed units:\n" + run(agent, "systemctl", "--failed", "--no-legend"));
      }
      assertEquals("systemd", run(agent, "ps", "-p", "1", "-o", "comm=").strip());
      // Processes started through the agent are inside systemd's PID namespace.
      String pid = run(agent, "sh", "-c", "echo $$").strip();
      System.err.println("[systemd] an Exec'd shell's pid in systemd's namespace: " + pid);
      assertTrue(Integer.parseInt(pid) > 1, pid);
    }
    long stop = System.nanoTime();
    vm.stop(Duration.ofSeconds(10));
    System.err.printf("[systemd] stopped in %d ms%n", (System.nanoTime() - stop) / 1_000_000);
    assertFalse(vm.isRunning());
    String header = CpioWriterIT.run(work, "dumpe2fs", "-h", disk.toString());
    assertFalse(header.lines().anyMatch(l -> l.startsWith("Filesystem features:") && l.contains("needs_recovery")), header);
    assertTrue(header.contains("Filesystem state:         clean"), header);
  }

  private static String run(GuestAgent agent, String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecSession s = agent.exec(ProcessSpec.of(args), out, err)) {
      s.stdin().close();
      s.waitFor();
    }
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  private static boolean onPath(String program) {
    return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
  }

  /** The host's apt sources, handed to mmdebstrap as its mirror (as DebianBootstrap does). */
  private static Path hostSources() {
    for (String candidate : List.of("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list")) {
      if (Files.isRegularFile(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    assumeTrue(false, "the host has no apt sources");
    return null;
  }

  private static String hostSuite() throws Exception {
    Map<String, String> release = Files.readAllLines(Path.of("/etc/os-release")).stream()
        .filter(l -> l.contains("="))
        .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
            l -> l.substring(l.indexOf('=') + 1).replace("\"", ""), (a, b) -> b));
    return release.getOrDefault("VERSION_CODENAME", "bookworm");
  }
}
