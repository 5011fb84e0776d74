package dev.linux.env.daemon;

import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentState;
import dev.linux.vm.AgentChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the daemon knows about one environment. Lifecycle operations on it (start, stop, remove,
 * adoption, the idle stop) hold {@link #lifecycle}, so they never overlap; relayed calls only read
 * {@link #channel} and count themselves in {@link #openCalls}.
 */
final class Supervised {

  final EnvName name;
  final ReentrantLock lifecycle = new ReentrantLock();
  final AtomicInteger openCalls = new AtomicInteger();
  final AtomicBoolean idleStopPending = new AtomicBoolean();
  /** A stop after a file server died is under way. */
  final AtomicBoolean shareStopPending = new AtomicBoolean();

  /** Of the environment states, those the daemon passes through: starting, running, stopping, stopped. */
  volatile EnvironmentState state = EnvironmentState.STOPPED;
  /** The one agent connection every session of this environment shares; null while not running. */
  volatile AgentChannel channel;
  /** Keeps its listening ports forwarded while {@link #channel} is open; null without a user-mode network. */
  volatile PortForwarder ports;
  volatile long lastPortRetryNanos;
  volatile long vmPid;
  volatile long lastActiveNanos = System.nanoTime();
  volatile long lastProcessCheckNanos;
  volatile long lastClockSyncNanos;
  /** Processes started by run or enter still alive at the last look. */
  volatile int sessionProcesses;

  Supervised(EnvName name) {
    this.name = name;
  }

  void touch() {
    lastActiveNanos = System.nanoTime();
  }

  boolean busy() {
    return openCalls.get() > 0 || sessionProcesses > 0;
  }

  long idleNanos(long now) {
    return busy() ? 0 : now - lastActiveNanos;
  }

  boolean serving() {
    AgentChannel c = channel;
    return state == EnvironmentState.RUNNING && c != null && c.isOpen();
  }
}
