package dev.linux.env;

import dev.linux.vm.AgentInfo;
import dev.linux.vm.ExecSession;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.ProcessSpec;
import java.io.OutputStream;
import java.time.Duration;

/** A guest agent for unit tests: overrides what a test expects; processes and pings are refused. */
abstract class StubGuestAgent implements GuestAgent {

  @Override
  public AgentInfo ping(Duration timeout) {
    throw new UnsupportedOperationException("ping");
  }

  @Override
  public ExecSession exec(ProcessSpec spec, OutputStream stdout, OutputStream stderr) {
    throw new UnsupportedOperationException("exec");
  }

  @Override
  public void shutdown(Duration grace) {}

  @Override
  public void close() {}
}
