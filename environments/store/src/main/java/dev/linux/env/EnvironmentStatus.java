package dev.linux.env;

import java.util.Optional;

/**
 * An environment's record together with what is true right now.
 *
 * @param record the stored record
 * @param state the effective state: the record's, reconciled with whether its VM runs (see {@link
 *     EnvironmentState#effective})
 * @param pid the VM process while running
 * @param diskUsedBytes host bytes allocated by the sparse disk file
 */
public record EnvironmentStatus(EnvironmentRecord record, EnvironmentState state, Optional<Long> pid, long diskUsedBytes) {

  /** Why its last boot failed, while it is {@code broken}. */
  public Optional<String> stateReason() {
    return state == EnvironmentState.BROKEN ? Optional.ofNullable(record.stateReason()) : Optional.empty();
  }
}
