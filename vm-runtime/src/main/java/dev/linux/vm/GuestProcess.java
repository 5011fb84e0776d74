package dev.linux.vm;

import java.util.List;
import java.util.Objects;

/**
 * A process in the guest, as {@link GuestAgent#listProcesses()} saw it.
 *
 * @param pid process id
 * @param ppid parent process id
 * @param pgid process group id
 * @param sid session id
 * @param uid real user id (owner of {@code /proc/PID})
 * @param state the state letter of {@code /proc/PID/stat}: R, S, D, Z (zombie), T, ...
 * @param args the command line; for zombies the command name in brackets
 * @param execSession whether an Exec call started it
 * @param fromExec whether it is in a session an Exec call created: started by {@code run} or
 *     {@code enter}, or by something they started, even after that Exec root ended (a process that
 *     made a session of its own, as classic daemons do, is not)
 */
public record GuestProcess(
    int pid, int ppid, int pgid, int sid, int uid, String state, List<String> args,
    boolean execSession, boolean fromExec) {
  public GuestProcess {
    state = Objects.requireNonNull(state, "state");
    args = List.copyOf(args);
  }

  public boolean isZombie() {
    return state.equals("Z");
  }

  /** Whether this process keeps its environment from being idle: a live one that a user started. */
  public boolean keepsEnvironmentBusy() {
    return fromExec && !isZombie();
  }
}
