package dev.linux.env.daemon;

import dev.linux.env.EnvName;
import dev.linux.env.NetworkSettings;
import dev.linux.vm.AgentException;
import dev.linux.vm.EventSubscription;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestEvent;
import dev.linux.vm.HostForward;
import dev.linux.vm.VirtualMachine;
import dev.linux.vm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one running environment's ports forwarded: follows the guest's listening ports ({@link
 * GuestAgent#events}), drives its {@link ForwardTable} on one thread of its own, makes the
 * forwards with QEMU's {@code hostfwd_add}/{@code hostfwd_remove} (see {@link
 * VirtualMachine#addHostForward}), and writes the table to {@link PortsFile} after every change.
 *
 * <p>Closing it leaves the forwards in QEMU: the VM either stops (they go with it) or keeps
 * running for the next daemon, which removes what the ports file lists before it starts over
 * (the guest reports the ports open at subscription first, so they come back at once).
 */
final class PortForwarder implements AutoCloseable {

  private final EnvName name;
  private final Path runtimeDir;
  private final DaemonLog log;
  private final ExecutorService worker;
  private final ForwardTable table;
  private volatile EventSubscription events;
  private volatile NetworkSettings settings;

  private PortForwarder(EnvName name, VirtualMachine vm, String address, NetworkSettings settings, DaemonLog log) {
    this.name = name;
    this.runtimeDir = vm.runtimeDir();
    this.log = log;
    this.settings = settings;
    this.worker = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("ports-" + name).factory());
    this.table = new ForwardTable(address, settings, new ForwardTable.Host() {
      @Override
      public void add(HostForward forward) throws VmException {
        vm.addHostForward(forward);
      }

      @Override
      public void remove(HostForward forward) throws VmException {
        vm.removeHostForward(forward);
      }
    }, line -> log.info(name + ": " + line));
  }

  /**
   * Starts forwarding the ports of {@code vm}: removes the forwards a previous daemon left (as its
   * ports file lists them), then subscribes to the guest's port events on {@code agent}.
   */
  static PortForwarder start(EnvName name, VirtualMachine vm, GuestAgent agent, String address,
      NetworkSettings settings, DaemonLog log) throws AgentException {
    PortForwarder forwarder = new PortForwarder(name, vm, address, settings, log);
    forwarder.removeLeftovers(vm);
    forwarder.events = agent.events(event -> {
      if (event instanceof GuestEvent.PortChanged p) {
        forwarder.submit(() -> forwarder.table.portChanged(p.protocol(), p.address(), p.port(), p.open()));
      }
    });
    return forwarder;
  }

  private void removeLeftovers(VirtualMachine vm) {
    for (ForwardedPort row : PortsFile.read(runtimeDir)) {
      if (row.state() == ForwardedPort.State.FORWARDED) {
        try {
          vm.removeHostForward(new HostForward(row.protocol(), row.hostAddress(), row.hostPort(), row.guestPort()));
        } catch (VmException | IllegalArgumentException e) {
          log.info(name + ": cannot remove a forward left by the previous daemon: " + e.getMessage());
        }
      }
    }
    save(List.of());
  }

  /** The environment's settings as stored now (read every second): applies a change at once. */
  void settings(NetworkSettings newSettings) {
    if (!newSettings.equals(settings)) {
      settings = newSettings;
      submit(() -> table.settings(newSettings));
    }
  }

  /** Tries the host ports that were taken again. */
  void retryTaken() {
    if (table.hasTaken()) {
      submit(table::retryTaken);
    }
  }

  /** False once the event stream ended (the agent connection broke): start a new forwarder. */
  boolean isActive() {
    EventSubscription e = events;
    return e != null && e.isActive();
  }

  private void submit(Runnable change) {
    try {
      worker.execute(() -> {
        try {
          change.run();
        } catch (RuntimeException e) {
          log.info(name + ": port forwarding failed: " + e.getMessage());
        }
        save(table.rows());
      });
    } catch (RejectedExecutionException closed) {
      // closed meanwhile: the next forwarder starts from what the guest reports then
    }
  }

  private void save(List<ForwardedPort> rows) {
    try {
      PortsFile.write(runtimeDir, rows);
    } catch (IOException e) {
      // the runtime directory goes as the VM stops
    }
  }

  /** Stops following the guest; the forwards stay (see the class comment). */
  @Override
  public void close() {
    EventSubscription e = events;
    if (e != null) {
      e.close();
    }
    worker.shutdown();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes {@code forwarder} (if any) and deletes the ports file of a VM that is gone or going. */
  static void forget(PortForwarder forwarder, Path runtimeDir) {
    if (forwarder != null) {
      forwarder.close();
    }
    PortsFile.delete(runtimeDir);
  }
}
