package dev.linux.vm;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A connection to vminitd, the agent that is PID 1 in the guest. Only one connection per VM can be
 * open at a time (see {@link VirtualMachine#connectAgent()}).
 *
 * <p>Every implementation implements every operation: a guest that cannot do something answers
 * with an {@link AgentException}, never with an unchecked "unsupported".
 */
public interface GuestAgent extends AutoCloseable {
  /** Asks the agent who it is; waits up to {@code timeout} for it to answer. */
  AgentInfo ping(Duration timeout) throws AgentException;

  /**
   * Starts a process and returns once the guest reports it started (or throws the start error).
   * Output is written to {@code stdout} and {@code stderr} from another thread as it arrives; a
   * slow stream slows the process down rather than buffering without bound.
   */
  ExecSession exec(ProcessSpec spec, OutputStream stdout, OutputStream stderr)
      throws AgentException;

  /**
   * Asks the guest to stop every process ({@code grace} between SIGTERM and SIGKILL), sync,
   * unmount and power off.
   */
  void shutdown(Duration grace) throws AgentException;

  /** Every process in the guest except kernel threads. */
  List<GuestProcess> listProcesses() throws AgentException;

  /**
   * Creates the user account in the environment unless a user of that name exists (then nothing
   * changes): passwd, group, shadow entries, home directory from {@code /etc/skel}, passwordless
   * sudo when asked and sudo is installed. A uid taken by another name fails with
   * FAILED_PRECONDITION.
   */
  GuestUser ensureUser(NewUser user) throws AgentException;

  /** What the agent found in the environment at boot (wsl.conf settings, generated files). */
  EnvironmentInfo describeEnvironment() throws AgentException;

  /**
   * Metadata of {@code path} (absolute, in the environment); {@code followLinks=false} describes
   * a symbolic link itself. A missing file fails with NOT_FOUND.
   */
  FileStat stat(String path, boolean followLinks) throws AgentException;

  /**
   * Writes {@code source} to the regular file {@code path} in the environment (its directory must
   * exist), with the given permission bits and owner; the file appears atomically once complete.
   *
   * @return the number of bytes written
   */
  long copyIn(InputStream source, String path, int mode, int uid, int gid) throws AgentException;

  /** Reads the regular file {@code path} of the environment into {@code target}. */
  FileStat copyOut(String path, OutputStream target) throws AgentException;

  /**
   * Writes the environment's root file system as a tar stream (PAX) to {@code target}: other file
   * systems mounted in it (proc, sys, dev, run, tmp, shares) are left out, their mount points kept
   * as empty directories.
   *
   * @return the number of bytes written
   */
  long exportRoot(OutputStream target) throws AgentException;

  /**
   * Sets the guest's wall clock to {@code now} (the host's clock). {@link
   * VirtualMachine#waitUntilReady} calls it once the agent answers; whoever keeps the VM running
   * should call it again periodically (e.g. every minute), since the guest clock drifts under TCG.
   *
   * @return how far the guest clock was ahead of {@code now} before it was set (negative: behind)
   */
  Duration setTime(Instant now) throws AgentException;

  /**
   * Streams what happens in the guest to {@code listener} (called on one background thread, in
   * order) until the subscription is closed or the connection ends: listening ports opening and
   * closing (those already open first), OOM kills and exits of processes started by {@link #exec}.
   * A listener that throws does not end the stream.
   */
  EventSubscription events(Consumer<GuestEvent> listener) throws AgentException;

  @Override
  void close();
}
