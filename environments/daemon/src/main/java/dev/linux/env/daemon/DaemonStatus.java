package dev.linux.env.daemon;

import dev.linux.env.EnvName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What {@code linux daemon status} shows.
 *
 * @param pid the daemon's process
 * @param version the daemon's version
 * @param started when it started
 * @param socket where it listens
 * @param environments the environments it runs
 */
public record DaemonStatus(long pid, String version, Instant started, Path socket, List<Running> environments) {

  public DaemonStatus {
    environments = List.copyOf(environments);
  }

  /**
   * One environment the daemon runs.
   *
   * @param state starting, running or stopping
   * @param vmPid the QEMU process
   * @param openCalls relayed calls open right now (sessions, copies)
   * @param sessionProcesses processes started by run or enter still alive at the last look
   * @param idle how long it has had neither (zero while busy)
   * @param idleTimeoutSeconds idleness after which it stops; -1 never
   */
  public record Running(EnvName name, String state, long vmPid, int openCalls, int sessionProcesses, Duration idle, long idleTimeoutSeconds) {}
}
