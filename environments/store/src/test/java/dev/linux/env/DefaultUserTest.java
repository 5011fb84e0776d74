package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.AgentException;
import dev.linux.vm.EnvironmentInfo;
import dev.linux.vm.GuestAgent;
import dev.linux.vm.GuestUser;
import dev.linux.vm.NewUser;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who {@code run} and {@code enter} start processes as, in the documented order: wsl.conf's
 * {@code [user] default}, else the host user (created in the guest), else the image's
 * {@code User}, else root.
 */
class DefaultUserTest {

  @TempDir Path dir;

  /** Answers describeEnvironment with {@code configured} and records the users it is asked to create. */
  static final class FakeAgent extends StubGuestAgent {
    final Optional<String> configured;
    final List<NewUser> ensured = new ArrayList<>();
    AgentException failure;

    FakeAgent(Optional<String> configured) {
      this.configured = configured;
    }

    @Override
    public EnvironmentInfo describeEnvironment() {
      return new EnvironmentInfo(true, "", configured, "", false, List.of(), 0);
    }

    @Override
    public GuestUser ensureUser(NewUser user) throws AgentException {
      if (failure != null) {
        throw failure;
      }
      ensured.add(user);
      return new GuestUser(true, user.uid(), user.gid(), "/home/" + user.name(), "/bin/sh", false);
    }
  }

  private Environments environments() {
    return new Environments(new LinuxHome(dir.resolve("data"), dir.resolve("config"), dir.resolve("run")),
        Progress.SILENT, Optional.empty());
  }

  private static EnvironmentRecord record(String imageUser) {
    return new EnvironmentRecord("dev", "busybox", "sha256:" + "0".repeat(64), Instant.EPOCH, 1, 256L << 20, 1L << 30,
        new ImageDefaults(null, null, imageUser, null, null, null, null));
  }

  @Test
  void wslConfDefaultWinsAndNobodyIsCreated() {
    FakeAgent agent = new FakeAgent(Optional.of("builder"));
    assertEquals("builder", environments().defaultUser(record("app"), agent, new HostUser("alice", 1000, 1000)));
    assertTrue(agent.ensured.isEmpty());
  }

  @Test
  void theHostUserIsCreatedWithItsIdsAndUsed() {
    FakeAgent agent = new FakeAgent(Optional.empty());
    assertEquals("alice", environments().defaultUser(record("app"), agent, new HostUser("alice", 1000, 1001)));
    assertEquals(1, agent.ensured.size());
    NewUser created = agent.ensured.get(0);
    assertEquals("alice", created.name());
    assertEquals(1000, created.uid());
    assertEquals(1001, created.gid());
  }

  @Test
  void forRootTheImageUserIsTheDefault() {
    FakeAgent agent = new FakeAgent(Optional.empty());
    assertEquals("app", environments().defaultUser(record("app"), agent, new HostUser("root", 0, 0)));
    assertTrue(agent.ensured.isEmpty(), "root is never created");
  }

  @Test
  void forRootWithoutAnImageUserItIsRoot() {
    FakeAgent agent = new FakeAgent(Optional.empty());
    assertEquals("root", environments().defaultUser(record(null), agent, new HostUser("root", 0, 0)));
  }

  @Test
  void aUserThatCannotBeCreatedIsAClearError() {
    FakeAgent agent = new FakeAgent(Optional.empty());
    agent.failure = new AgentException(AgentException.Code.FAILED_PRECONDITION, "uid 1000 belongs to bob");
    EnvException e = assertThrows(EnvException.class,
        () -> environments().defaultUser(record(null), agent, new HostUser("alice", 1000, 1000)));
    assertEquals(EnvException.Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("cannot set up user alice") && e.getMessage().contains("uid 1000 belongs to bob"),
        e.getMessage());
  }
}
