package dev.linux.vm;

import java.io.OutputStream;

/** A process running in the guest, started by {@link GuestAgent#exec}. */
public interface ExecSession extends AutoCloseable {
  /** The process id in the guest. */
  int pid();

  /**
   * The process's standard input. Writes are sent with flow control (a write blocks while the
   * guest is not taking data); {@code close()} closes the process's stdin.
   */
  OutputStream stdin();

  void resize(int rows, int cols);

  /** Sends a signal to the process group. */
  void signal(int signal);

  /** Sends a signal to the process alone, not its group. */
  void signalProcess(int signal);

  /**
   * Waits for the process to end. Before it returns, all output has been written to (and flushed
   * on) the streams given to {@code exec}.
   *
   * @return the exit code, or 128 + signal number when a signal ended the process
   */
  int waitFor() throws InterruptedException, AgentException;

  /** Cancels the call if the process still runs (the guest sends it SIGHUP). */
  @Override
  void close();
}
