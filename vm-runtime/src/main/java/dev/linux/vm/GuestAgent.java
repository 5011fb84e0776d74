package dev.linux.vm;

import java.io.OutputStream;
import java.time.Duration;

/**
 * A connection to vminitd, the agent that is PID 1 in the guest. Only one connection per VM can be
 * open at a time (see {@link VirtualMachine#connectAgent()}).
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

  @Override
  void close();
}
