package dev.linux.env;

import dev.linux.vm.VirtualMachine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Stops every running environment at once ({@code linux stop --all}, {@code linux shutdown}). */
public final class EnvironmentShutdown {

  private final Environments environments;
  private final EnvironmentStore store;

  EnvironmentShutdown(Environments environments, EnvironmentStore store) {
    this.environments = environments;
    this.store = store;
  }

  List<EnvName> stopAll(Duration grace) {
    List<EnvName> running = store.list().stream()
        .map(EnvironmentRecord::envName)
        .filter(name -> VirtualMachine.find(store.home().files(name).runtime()).isPresent())
        .toList();
    inParallel(running, name -> environments.stop(name, grace));
    return running;
  }

  /**
   * Runs {@code stop} for every name at once and waits for all; the first failure is thrown with
   * the others suppressed in it.
   */
  public static void inParallel(List<EnvName> names, java.util.function.Consumer<EnvName> stop) {
    List<Thread> threads = new ArrayList<>();
    List<RuntimeException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (EnvName name : names) {
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          stop.accept(name);
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }));
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EnvException(EnvException.Code.UNAVAILABLE, "interrupted while stopping environments", e);
      }
    }
    if (!failures.isEmpty()) {
      RuntimeException first = failures.get(0);
      failures.subList(1, failures.size()).forEach(first::addSuppressed);
      throw first;
    }
  }
}
