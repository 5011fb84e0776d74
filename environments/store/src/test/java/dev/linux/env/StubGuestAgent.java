package dev.linux.env;

import dev.linux.vm.AgentException;
import dev.linux.vm.AgentInfo;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.EventSubscription;
import dev.linux.vm.ExecSession;
import dev.linux.vm.FileStat;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestEvent;
import dev.linux.vm.GuestProcess;
import dev.linux.vm.GuestUser;
import dev.linux.vm.NewUser;
import dev.linux.vm.ProcessSpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A guest agent for unit tests: a test overrides the calls it expects; any other call fails the
 * test ({@link AssertionError}), except {@code shutdown} and {@code close}, which do nothing.
 */
abstract class StubGuestAgent implements GuestAgent {

  private static AssertionError unexpected(String call) {
    return new AssertionError("unexpected guest agent call: " + call);
  }

  @Override
  public AgentInfo ping(Duration timeout) throws AgentException {
    throw unexpected("ping");
  }

  @Override
  public ExecSession exec(ProcessSpec spec, OutputStream stdout, OutputStream stderr) throws AgentException {
    throw unexpected("exec " + spec.args());
  }

  @Override
  public void shutdown(Duration grace) throws AgentException {}

  @Override
  public List<GuestProcess> listProcesses() throws AgentException {
    throw unexpected("listProcesses");
  }

  @Override
  public GuestUser ensureUser(NewUser user) throws AgentException {
    throw unexpected("ensureUser " + user.name());
  }

  @Override
  public EnvironmentInfo describeEnvironment() throws AgentException {
    throw unexpected("describeEnvironment");
  }

  @Override
  public FileStat stat(String path, boolean followLinks) throws AgentException {
    throw unexpected("stat " + path);
  }

  @Override
  public long copyIn(InputStream source, String path, int mode, int uid, int gid) throws AgentException {
    throw unexpected("copyIn " + path);
  }

  @Override
  public FileStat copyOut(String path, OutputStream target) throws AgentException {
    throw unexpected("copyOut " + path);
  }

  @Override
  public long exportRoot(OutputStream target) throws AgentException {
    throw unexpected("exportRoot");
  }

  @Override
  public Duration setTime(Instant now) throws AgentException {
    throw unexpected("setTime");
  }

  @Override
  public EventSubscription events(Consumer<GuestEvent> listener) throws AgentException {
    throw unexpected("events");
  }

  @Override
  public void close() {}
}
