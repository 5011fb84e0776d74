package dev.linux.env;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Where an environment is in its lifecycle. The record stores the last step a lifecycle operation
 * took; what is reported is {@link #effective} of that and whether a VM really runs, so a state
 * left behind by a crash never misleads.
 */
public enum EnvironmentState {
  /** Its disk is written and it has never booted. */
  CREATED,
  /** A boot is under way: the VM is starting and its agent does not answer yet. */
  STARTING,
  /** Its VM runs and its agent answered. */
  RUNNING,
  /** A shutdown is under way. */
  STOPPING,
  /** It booted before and no VM runs now: it costs disk only. */
  STOPPED,
  /** Its last boot failed (the record says why); the next start tries again. */
  BROKEN;

  /** The lower-case name shown by {@code linux list} and written to JSON. */
  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return label();
  }

  /** The state named {@code label} (case-insensitive). */
  @JsonCreator
  public static EnvironmentState of(String label) {
    for (EnvironmentState state : values()) {
      if (state.label().equalsIgnoreCase(label)) {
        return state;
      }
    }
    throw new IllegalArgumentException("no environment state named '" + label + "'");
  }

  /**
   * The state to report, from the {@code stored} one and whether a VM runs now. While a VM runs
   * it is {@code starting} or {@code stopping} when the record says so, else {@code running}.
   * Without a VM it is {@code broken} or {@code created} when the record says so, else {@code
   * stopped}: a {@code running}, {@code starting} or {@code stopping} left by a crash is stale.
   * A null {@code stored} state (a record written before states existed) counts as {@code created}.
   */
  public static EnvironmentState effective(EnvironmentState stored, boolean vmRunning) {
    return effective(stored, vmRunning, false);
  }

  /**
   * As {@link #effective(EnvironmentState, boolean)}, but a {@code starting} or {@code stopping}
   * without a VM stands while a lifecycle operation holds the environment's lock ({@code
   * operationUnderWay}): a boot before QEMU runs (a kernel download, say), a stop after it ended.
   */
  public static EnvironmentState effective(EnvironmentState stored, boolean vmRunning, boolean operationUnderWay) {
    EnvironmentState state = stored == null ? CREATED : stored;
    if (vmRunning) {
      return state == STARTING || state == STOPPING ? state : RUNNING;
    }
    if (operationUnderWay && (state == STARTING || state == STOPPING)) {
      return state;
    }
    return state == BROKEN || state == CREATED ? state : STOPPED;
  }
}
