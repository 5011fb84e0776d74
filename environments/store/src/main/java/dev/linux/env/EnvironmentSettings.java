package dev.linux.env;

import java.util.Optional;

/**
 * Changes to an environment's settings ({@code linux set}); what is empty stays as it is. They are
 * stored in the record and take effect the next time the environment boots.
 *
 * @param cpus virtual CPUs
 * @param memory guest memory
 * @param idleTimeoutSeconds seconds without sessions before it stops; {@code -1} never
 * @param systemd whether the distribution's init (systemd) runs as PID 1 of the environment
 * @param network changes to the network settings ({@code --network} applies at the next boot;
 *     {@code --forward-ports} and {@code --ignore-ports} at once, as the daemon rereads them)
 */
public record EnvironmentSettings(
    Optional<Integer> cpus, Optional<ByteSize> memory, Optional<Long> idleTimeoutSeconds, Optional<Boolean> systemd,
    NetworkSettings.Change network) {

  public EnvironmentSettings(
      Optional<Integer> cpus, Optional<ByteSize> memory, Optional<Long> idleTimeoutSeconds, Optional<Boolean> systemd) {
    this(cpus, memory, idleTimeoutSeconds, systemd, NetworkSettings.Change.NONE);
  }

  /** Settings without a systemd change. */
  public EnvironmentSettings(Optional<Integer> cpus, Optional<ByteSize> memory, Optional<Long> idleTimeoutSeconds) {
    this(cpus, memory, idleTimeoutSeconds, Optional.empty());
  }

  public EnvironmentSettings {
    network = network == null ? NetworkSettings.Change.NONE : network;
    cpus.ifPresent(n -> {
      if (n < 1 || n > 256) {
        throw invalid("--cpus must be between 1 and 256, not " + n);
      }
    });
    memory.ifPresent(m -> {
      if (m.bytes() < (128L << 20)) {
        throw invalid("--memory must be at least 128 MiB, not " + m);
      }
      if (m.bytes() % (1L << 20) != 0) {
        throw invalid("--memory must be a whole number of MiB, not " + m.bytes() + " bytes");
      }
    });
    idleTimeoutSeconds.ifPresent(t -> {
      if (t < -1) {
        throw invalid("--idle-timeout must be -1 (never) or a number of seconds, not " + t);
      }
    });
  }

  public boolean isEmpty() {
    return cpus.isEmpty() && memory.isEmpty() && idleTimeoutSeconds.isEmpty() && systemd.isEmpty() && network.isEmpty();
  }

  /** {@code record} with these settings applied. */
  public EnvironmentRecord applyTo(EnvironmentRecord record) {
    EnvironmentRecord updated = record.withCpus(cpus.orElse(record.cpus()))
        .withMemoryBytes(memory.map(ByteSize::bytes).orElse(record.memoryBytes()))
        .withIdleTimeoutSeconds(idleTimeoutSeconds.isPresent() ? idleTimeoutSeconds.get() : record.idleTimeoutSeconds());
    updated = systemd.isPresent() ? updated.withSystemd(systemd.get()) : updated;
    return network.isEmpty() ? updated : updated.withNetwork(network.applyTo(updated.networkSettings()));
  }

  /** Applies the settings to the stored record of {@code name} under its lock. */
  EnvironmentRecord update(EnvironmentStore store, EnvName name) {
    if (isEmpty()) {
      throw invalid("nothing to change: give --cpus, --memory, --idle-timeout, --systemd, --network, --forward-ports or --ignore-ports");
    }
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      EnvironmentRecord updated = applyTo(store.usable(name));
      store.save(updated);
      return updated;
    }
  }

  private static EnvException invalid(String message) {
    return new EnvException(EnvException.Code.INVALID_ARGUMENT, message);
  }
}
