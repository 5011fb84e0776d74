package dev.linux.env.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An environment's port table as the daemon last wrote it: {@code ports.tsv} in the VM's runtime
 * directory (private like the rest of it), one tab-separated {@link ForwardedPort} a line. {@code
 * linux ports} reads it without a call to the daemon, and a daemon that adopts a running VM reads
 * it to remove the forwards its predecessor left in QEMU before it sets up its own.
 */
public final class PortsFile {

  static final String NAME = "ports.tsv";

  private PortsFile() {}

  /** The rows written for the VM of {@code runtimeDir}; empty when there are none. */
  public static List<ForwardedPort> read(Path runtimeDir) {
    List<ForwardedPort> rows = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(runtimeDir.resolve(NAME), StandardCharsets.UTF_8)) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
          continue; // written by a different version: ignore what is not understood
        }
        try {
          rows.add(new ForwardedPort(f[0], Integer.parseInt(f[1]), f[2].isEmpty() ? null : f[2],
              Integer.parseInt(f[3]), ForwardedPort.State.named(f[4]), f[5]));
        } catch (IllegalArgumentException e) {
          // same
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      return List.of();
    }
    return rows;
  }

  /** Replaces the file atomically (a reader never sees half of it). */
  static void write(Path runtimeDir, List<ForwardedPort> rows) throws IOException {
    StringBuilder text = new StringBuilder();
    for (ForwardedPort r : rows) {
      text.append(r.protocol()).append('\t').append(r.guestPort()).append('\t')
          .append(r.hostAddress() == null ? "" : r.hostAddress()).append('\t').append(r.hostPort()).append('\t')
          .append(r.state().name()).append('\t').append(r.detail().replace('\t', ' ').replace('\n', ' ')).append('\n');
    }
    Path file = runtimeDir.resolve(NAME);
    Path temp = runtimeDir.resolve(NAME + ".tmp");
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static void delete(Path runtimeDir) {
    try {
      Files.deleteIfExists(runtimeDir.resolve(NAME));
      Files.deleteIfExists(runtimeDir.resolve(NAME + ".tmp"));
    } catch (IOException ignored) {
      // best effort: a stale table is ignored once the VM does not run
    }
  }
}
