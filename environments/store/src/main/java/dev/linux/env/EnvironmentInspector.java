package dev.linux.env;

import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.VirtualMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Gathers an environment's record with what is true right now, read from its running QEMU and, in
 * one quick call, its guest agent.
 */
final class EnvironmentInspector {

  private final EnvironmentStore store;

  EnvironmentInspector(EnvironmentStore store) {
    this.store = store;
  }

  EnvironmentInspection inspect(EnvName name, Function<EnvName, Optional<EnvironmentInfo>> guest) {
    EnvironmentRecord record = store.get(name);
    EnvironmentFiles files = store.home().files(name);
    Optional<Long> pid = VirtualMachine.find(files.runtime()).map(VirtualMachine::pid);
    Map<Path, Long> used = DiskUsage.allocatedBytes(List.of(files.disk()));
    EnvironmentStatus status = new EnvironmentStatus(
        record, EnvironmentState.effective(record.state(), pid.isPresent(),
            (record.state() == EnvironmentState.STARTING || record.state() == EnvironmentState.STOPPING)
                && store.isLocked(record.envName())), pid, used.getOrDefault(files.disk(), 0L));
    List<String> cmdline = pid.map(EnvironmentInspector::commandLine).orElse(List.of());
    return new EnvironmentInspection(
        status, files.dir(), files.consoleLog(), argument(cmdline, "-kernel"), argument(cmdline, "-accel"),
        // Only once booted: an agent asked while the environment starts or stops answers late.
        status.state() == EnvironmentState.RUNNING ? guest.apply(name) : Optional.empty());
  }

  static Optional<String> argument(List<String> cmdline, String option) {
    int i = cmdline.indexOf(option);
    return i >= 0 && i + 1 < cmdline.size() ? Optional.of(cmdline.get(i + 1)) : Optional.empty();
  }

  private static List<String> commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
    } catch (IOException e) {
      return List.of(); // it just stopped
    }
  }
}
