package dev.linux.env;

import dev.linux.vm.AgentException;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.VirtualMachine;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code linux export}: an environment's root filesystem as a tar stream, running or stopped. A
 * running environment's guest agent makes the tar (other mounts left out); a stopped one's disk is
 * read directly under the environment's lock, so it cannot boot meanwhile. Compression happens on
 * the host. A file target is written to a temporary sibling and renamed into place once complete.
 */
final class EnvironmentExporter {

  private final LinuxHome home;
  private final EnvironmentStore store;
  private final Progress progress;
  private final java.util.function.Function<EnvName, GuestAgent> sessions;

  /** @param sessions opens an agent session with a running environment */
  EnvironmentExporter(LinuxHome home, EnvironmentStore store, Progress progress,
      java.util.function.Function<EnvName, GuestAgent> sessions) {
    this.home = home;
    this.store = store;
    this.progress = progress;
    this.sessions = sessions;
  }

  /** Writes the export to {@code target}; on failure nothing is left at or beside it. */
  void export(EnvName name, Path target, ExportFormat format) {
    store.usable(name);
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Path temp;
    try {
      if (Files.isDirectory(absolute)) {
        throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "cannot write " + target + ": it is a directory");
      }
      temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".partial");
    } catch (NoSuchFileException e) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "cannot write " + target + ": no such directory: " + dir, e);
    } catch (AccessDeniedException e) {
      throw new EnvException(EnvException.Code.IO, "cannot write " + target + ": permission denied", e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot write " + target + ": " + e.getMessage(), e);
    }
    boolean done = false;
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        export(name, out, format);
      }
      // Temp files are created 0600; an export is an ordinary file like any other the user writes.
      Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      done = true;
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // nothing more can be done; the name marks it as a leftover
        }
      }
    }
  }

  /** Writes the export to {@code out}, which is flushed and left open. */
  void export(EnvName name, OutputStream out, ExportFormat format) {
    store.usable(name);
    EnvironmentFiles files = home.files(name);
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      Optional<VirtualMachine> vm = VirtualMachine.find(files.runtime());
      try (OutputStream compressed = format.compressing(out)) {
        if (vm.isPresent()) {
          progress.notice("Exporting " + name + " (running: the guest writes the archive)...");
          try (GuestAgent agent = sessions.apply(name)) {
            agent.exportRoot(compressed);
          }
        } else {
          progress.notice("Exporting " + name + " (stopped: reading its disk)...");
          DiskExporter.export(files.disk(), compressed);
        }
      }
      out.flush();
    } catch (AgentException e) {
      throw new EnvException(EnvException.Code.UNAVAILABLE, "cannot export " + name + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot export " + name + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot export " + name + ": " + e.getCause().getMessage(), e);
    }
  }
}
