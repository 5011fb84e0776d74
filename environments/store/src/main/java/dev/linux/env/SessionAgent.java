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

/** A user session's agent: the real one, plus the guest clock kept in step while it is open. */
final class SessionAgent implements GuestAgent {

  private final GuestAgent agent;
  private final ClockSync clock;

  SessionAgent(GuestAgent agent) {
    this(agent, ClockSync.PERIOD);
  }

  /** With the guest clock set every {@code clockPeriod} (tests use a short one). */
  SessionAgent(GuestAgent agent, Duration clockPeriod) {
    this.agent = agent;
    this.clock = ClockSync.start(agent, clockPeriod);
  }

  @Override
  public AgentInfo ping(Duration timeout) throws AgentException {
    return agent.ping(timeout);
  }

  @Override
  public ExecSession exec(ProcessSpec spec, OutputStream stdout, OutputStream stderr) throws AgentException {
    return agent.exec(spec, stdout, stderr);
  }

  @Override
  public void shutdown(Duration grace) throws AgentException {
    agent.shutdown(grace);
  }

  @Override
  public List<GuestProcess> listProcesses() throws AgentException {
    return agent.listProcesses();
  }

  @Override
  public GuestUser ensureUser(NewUser user) throws AgentException {
    return agent.ensureUser(user);
  }

  @Override
  public EnvironmentInfo describeEnvironment() throws AgentException {
    return agent.describeEnvironment();
  }

  @Override
  public FileStat stat(String path, boolean followLinks) throws AgentException {
    return agent.stat(path, followLinks);
  }

  @Override
  public long copyIn(InputStream content, String path, int mode, int uid, int gid) throws AgentException {
    return agent.copyIn(content, path, mode, uid, gid);
  }

  @Override
  public FileStat copyOut(String path, OutputStream out) throws AgentException {
    return agent.copyOut(path, out);
  }

  @Override
  public long exportRoot(OutputStream out) throws AgentException {
    return agent.exportRoot(out);
  }

  @Override
  public Duration setTime(Instant now) throws AgentException {
    return agent.setTime(now);
  }

  @Override
  public EventSubscription events(Consumer<GuestEvent> listener) throws AgentException {
    return agent.events(listener);
  }

  @Override
  public void close() {
    clock.close();
    agent.close();
  }
}
