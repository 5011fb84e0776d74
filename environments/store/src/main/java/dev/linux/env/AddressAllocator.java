package dev.linux.env;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each environment's own loopback address on the host, in {@code 127.77.0.0/16}: Linux routes all
 * of {@code 127.0.0.0/8} to {@code lo}, so any of these can be bound without root, and two
 * environments serving the same port each serve it on their own address. Allocated once, the
 * first free one (never a {@code .0} or {@code .255} end, which tools take for network and
 * broadcast addresses), and kept in the record.
 */
public final class AddressAllocator {

  /** The first two octets of every environment address. */
  public static final String PREFIX = "127.77.";

  private static final Pattern ADDRESS = Pattern.compile("127\\.77\\.(\\d{1,3})\\.(\\d{1,3})");
  /** Beside the environments' own locks (no environment name starts with a dot). */
  private static final Path LOCK = Path.of(".locks", ".address.lock");

  private AddressAllocator() {}

  /** The first address of the range that none of {@code taken} holds. */
  static String firstFree(Collection<String> taken) {
    Set<String> used = new HashSet<>(taken);
    for (int third = 0; third <= 255; third++) {
      for (int fourth = 1; fourth <= 254; fourth++) {
        String candidate = PREFIX + third + "." + fourth;
        if (!used.contains(candidate)) {
          return candidate;
        }
      }
    }
    throw new EnvException(EnvException.Code.FAILED_PRECONDITION,
        "no free address left in 127.77.0.0/16 (" + used.size() + " environments hold one)");
  }

  /** Why {@code address} cannot be an environment's address; empty when it can. */
  static Optional<String> problem(String address) {
    Matcher m = ADDRESS.matcher(address);
    if (!m.matches()) {
      return Optional.of("'" + address + "' is not an address in 127.77.0.0/16");
    }
    int third = Integer.parseInt(m.group(1));
    int fourth = Integer.parseInt(m.group(2));
    if (third > 255 || fourth > 255 || !address.equals(PREFIX + third + "." + fourth)) {
      return Optional.of("'" + address + "' is not an address in 127.77.0.0/16");
    }
    if (fourth == 0 || fourth == 255) {
      return Optional.of("'" + address + "' ends in ." + fourth + " (use .1 to .254)");
    }
    return Optional.empty();
  }

  /**
   * The record of {@code name} with its address: allocated and saved now if it has none, else
   * checked (in range, and held by no other environment: a hand-edited env.json may repeat one).
   * The caller holds the environment's lock; allocations themselves are serialised across
   * processes by a lock file, so two creates never pick the same address.
   */
  static EnvironmentRecord ensure(EnvironmentStore store, EnvironmentRecord record) {
    synchronized (AddressAllocator.class) {
      Path lockFile = store.home().environments().resolve(LOCK);
      try {
        Files.createDirectories(lockFile.getParent());
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock()) {
          return ensureLocked(store, record);
        }
      } catch (IOException e) {
        throw new EnvException(EnvException.Code.IO, "cannot allocate an address for " + record.name() + ": " + e.getMessage(), e);
      }
    }
  }

  private static EnvironmentRecord ensureLocked(EnvironmentStore store, EnvironmentRecord record) {
    List<EnvironmentRecord> others = store.list().stream().filter(r -> !r.name().equals(record.name())).toList();
    if (record.address() == null) {
      String address = firstFree(others.stream().map(EnvironmentRecord::address).filter(a -> a != null).toList());
      EnvironmentRecord updated = record.withAddress(address);
      store.save(updated);
      return updated;
    }
    Optional<String> problem = problem(record.address());
    if (problem.isPresent()) {
      throw new EnvException(EnvException.Code.FAILED_PRECONDITION, record.name() + ": address in env.json: " + problem.get()
          + " (remove it from env.json to get a new one)");
    }
    for (EnvironmentRecord other : others) {
      if (record.address().equals(other.address())) {
        throw new EnvException(EnvException.Code.FAILED_PRECONDITION, "environments '" + record.name() + "' and '"
            + other.name() + "' both have the address " + record.address() + " (remove \"address\" from the env.json of "
            + record.name() + " to give it a new one)");
      }
    }
    return record;
  }
}
