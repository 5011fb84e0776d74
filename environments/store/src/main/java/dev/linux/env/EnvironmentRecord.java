package dev.linux.env;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What is stored about one environment ({@code env.json}). The stored {@link #state} is the last
 * lifecycle step taken; whether a VM really runs is read from its runtime directory, and {@link
 * EnvironmentState#effective} reconciles the two, so a state left by a crash cannot mislead.
 *
 * @param name the environment's name
 * @param image the image reference it was created from, as the user typed it
 * @param imageDigest the manifest digest of that image
 * @param created when the disk was written
 * @param cpus virtual CPUs
 * @param memoryBytes guest memory
 * @param diskBytes size of the environment's filesystem
 * @param imageDefaults what the environment keeps of its image's configuration (Env, WorkingDir,
 *     User, ...); never null
 * @param idleTimeoutSeconds this environment's idle timeout ({@code -1}: never), or null for the
 *     global default
 * @param systemd whether the distribution's init runs as PID 1 of the environment; null follows
 *     the image's {@code /etc/wsl.conf} ({@code [boot] systemd})
 * @param state the last lifecycle step taken; null (a record written before states existed) reads
 *     as {@link EnvironmentState#CREATED}
 * @param stateReason why the last boot failed while {@code state} is {@link
 *     EnvironmentState#BROKEN}, one line; null in every other state
 * @param lastStarted when it last finished booting; null until its first boot
 * @param shareHome whether the host home is shared at the same path; null (the default, and every
 *     record written before sharing existed) shares it unless the image's {@code /etc/wsl.conf}
 *     says {@code [automount] enabled = false}
 * @param shares more host directories shared with it, in the order added; never null
 * @param address the environment's own loopback address on the host (in {@code 127.77.0.0/16},
 *     see {@link AddressAllocator}), where its listening ports are forwarded; null until one is
 *     allocated (at create, or the next start of an older record)
 * @param network {@code "user"} or {@code "none"} (see {@link NetworkSettings}); null: {@code user}
 * @param forwardPorts whether the guest's listening ports are forwarded to the host; null: true
 * @param ignorePorts guest ports never forwarded; null: none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EnvironmentRecord(
    String name,
    String image,
    String imageDigest,
    Instant created,
    int cpus,
    long memoryBytes,
    long diskBytes,
    ImageDefaults imageDefaults,
    Long idleTimeoutSeconds,
    Boolean systemd,
    EnvironmentState state,
    String stateReason,
    Instant lastStarted,
    Boolean shareHome,
    List<ShareSetting> shares,
    String address,
    String network,
    Boolean forwardPorts,
    List<Integer> ignorePorts) {

  /** A record of a new environment, with the global idle timeout. */
  public EnvironmentRecord(
      String name, String image, String imageDigest, Instant created, int cpus, long memoryBytes,
      long diskBytes, ImageDefaults imageDefaults) {
    this(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, null, null,
        EnvironmentState.CREATED, null, null, null, List.of(), null, null, null, null);
  }

  public EnvironmentRecord {
    new EnvName(name);
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(created, "created");
    imageDefaults = imageDefaults == null ? ImageDefaults.NONE : imageDefaults;
    shares = shares == null ? List.of() : List.copyOf(shares);
    state = state == null ? EnvironmentState.CREATED : state;
    stateReason = state == EnvironmentState.BROKEN ? stateReason : null;
    ignorePorts = ignorePorts == null || ignorePorts.isEmpty() ? null : List.copyOf(ignorePorts);
    if (idleTimeoutSeconds != null && idleTimeoutSeconds < -1) {
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT, "idle timeout must be -1 (never) or at least 0 seconds, not " + idleTimeoutSeconds);
    }
    if (cpus < 1 || cpus > 256) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "cpus must be between 1 and 256, not " + cpus);
    }
    if (memoryBytes < (64L << 20)) {
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT, "memory must be at least 64 MiB, not " + new ByteSize(memoryBytes));
    }
    if (diskBytes < (32L << 20)) {
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT, "disk must be at least 32 MiB, not " + new ByteSize(diskBytes));
    }
  }

  /**
   * What stands for an environment whose {@code env.json} cannot be read: its name and nothing
   * else known ({@link #unreadable()} is true; shown as {@code broken} with the reason).
   */
  public static EnvironmentRecord unreadable(EnvName name) {
    return new EnvironmentRecord(name.value(), UNREADABLE_IMAGE, null, Instant.EPOCH, 1, 64L << 20, 32L << 20, ImageDefaults.NONE);
  }

  private static final String UNREADABLE_IMAGE = "-";

  /** Whether this stands for an unreadable record (see {@link #unreadable(EnvName)}). */
  public boolean unreadable() {
    return UNREADABLE_IMAGE.equals(image) && imageDigest == null && Instant.EPOCH.equals(created);
  }

  public EnvName envName() {
    return new EnvName(name);
  }

  // Copies with one thing changed: every copy goes through the canonical constructor here, so a
  // component added later cannot be dropped by a caller that rebuilds the record by hand.

  public EnvironmentRecord withName(EnvName newName) {
    return new EnvironmentRecord(newName.value(), image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withCreated(Instant when) {
    return new EnvironmentRecord(name, image, imageDigest, when, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withCpus(int newCpus) {
    return new EnvironmentRecord(name, image, imageDigest, created, newCpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withMemoryBytes(long bytes) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, bytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withDiskBytes(long bytes) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, bytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withIdleTimeoutSeconds(Long seconds) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, seconds, systemd, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withSystemd(Boolean enabled) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, enabled, state, stateReason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  /** A copy in {@code newState}; {@code reason} says why when it is broken (dropped otherwise). */
  public EnvironmentRecord withState(EnvironmentState newState, String reason) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, newState, reason, lastStarted, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withLastStarted(Instant when) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, when, shareHome, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withShareHome(Boolean share) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, share, shares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withShares(List<ShareSetting> newShares) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, newShares, address, network, forwardPorts, ignorePorts);
  }

  public EnvironmentRecord withAddress(String newAddress) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, newAddress, network, forwardPorts, ignorePorts);
  }

  /** A copy with the network settings of {@code settings}. */
  public EnvironmentRecord withNetwork(NetworkSettings settings) {
    return new EnvironmentRecord(name, image, imageDigest, created, cpus, memoryBytes, diskBytes, imageDefaults, idleTimeoutSeconds, systemd, state, stateReason, lastStarted, shareHome, shares, address,
        NetworkSettings.label(settings.network()), settings.forwardPorts(), settings.ignorePorts().stream().sorted().toList());
  }

  /** The network settings in effect (an older record's missing ones are the built-in defaults). */
  public NetworkSettings networkSettings() {
    return NetworkSettings.fromRecord(network, forwardPorts, ignorePorts);
  }
}
