package dev.linux.env;

import dev.linux.vm.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * Renames a stopped environment: its directory is renamed atomically (so it is never seen under
 * both names or neither), then its record is rewritten with the new name. Both names are locked,
 * in a fixed order so that two opposite renames cannot deadlock.
 */
final class EnvironmentRenamer {

  private final EnvironmentStore store;

  EnvironmentRenamer(EnvironmentStore store) {
    this.store = store;
  }

  EnvironmentRecord rename(EnvName from, EnvName to) {
    if (from.equals(to)) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "'" + from + "' already has that name");
    }
    LinuxHome home = store.home();
    try (EnvironmentStore.Lock first = store.lock(Locks.first(from, to));
        EnvironmentStore.Lock second = store.lock(Locks.second(from, to))) {
      EnvironmentRecord record = store.usable(from);
      EnvironmentFiles source = home.files(from);
      EnvironmentFiles target = home.files(to);
      if (Files.exists(target.dir())) {
        throw store.alreadyExists(to);
      }
      Locks.requireStopped(source, from, "rename");
      try {
        Files.move(source.dir(), target.dir(), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new EnvException(EnvException.Code.IO, "cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
      }
      EnvironmentRecord renamed = record.withName(to);
      try {
        store.save(renamed);
      } catch (EnvException e) {
        try {
          Files.move(target.dir(), source.dir(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException undo) {
          e.addSuppressed(undo);
        }
        throw e;
      }
      moveRuntimeLeftovers(source, target);
      return renamed;
    }
  }

  /** A stopped VM's runtime directory may keep files of others (a share's socket): they follow. */
  private static void moveRuntimeLeftovers(EnvironmentFiles source, EnvironmentFiles target) {
    if (Files.isDirectory(source.runtime()) && !Files.exists(target.runtime())) {
      try {
        Files.move(source.runtime(), target.runtime(), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException ignored) {
        // nothing there is needed while the environment is stopped
      }
    }
  }

  /** Lock order and the stopped check shared by rename and clone. */
  static final class Locks {
    private Locks() {}

    static EnvName first(EnvName a, EnvName b) {
      return a.value().compareTo(b.value()) <= 0 ? a : b;
    }

    static EnvName second(EnvName a, EnvName b) {
      return a.value().compareTo(b.value()) <= 0 ? b : a;
    }

    static void requireStopped(EnvironmentFiles files, EnvName name, String action) {
      if (VirtualMachine.find(files.runtime()).isPresent()) {
        throw new EnvException(
            EnvException.Code.FAILED_PRECONDITION,
            name + " is running; stop it before you " + action + " it (linux stop " + name + ")");
      }
    }
  }
}
