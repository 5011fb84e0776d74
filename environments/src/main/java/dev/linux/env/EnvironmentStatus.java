package dev.linux.env;

import java.util.Optional;

/**
 * An environment's record together with what is true right now.
 *
 * @param record the stored record
 * @param state {@code running} or {@code stopped}
 * @param pid the VM process while running
 * @param diskUsedBytes host bytes allocated by the sparse disk file
 */
public record EnvironmentStatus(EnvironmentRecord record, String state, Optional<Long> pid, long diskUsedBytes) {}
