package dev.linux.vm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.vm.AgentException;
import dev.linux.vm.AgentException.Code;
import io.grpc.Status;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentErrorsTest {
  @Test
  void everyStatusMapsToAStableCode() {
    Map<Status.Code, Code> expected =
        Map.ofEntries(
            Map.entry(Status.Code.NOT_FOUND, Code.NOT_FOUND),
            Map.entry(Status.Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT),
            Map.entry(Status.Code.OUT_OF_RANGE, Code.INVALID_ARGUMENT),
            Map.entry(Status.Code.FAILED_PRECONDITION, Code.FAILED_PRECONDITION),
            Map.entry(Status.Code.ALREADY_EXISTS, Code.FAILED_PRECONDITION),
            Map.entry(Status.Code.ABORTED, Code.FAILED_PRECONDITION),
            Map.entry(Status.Code.PERMISSION_DENIED, Code.PERMISSION_DENIED),
            Map.entry(Status.Code.UNAUTHENTICATED, Code.PERMISSION_DENIED),
            Map.entry(Status.Code.UNAVAILABLE, Code.UNAVAILABLE),
            Map.entry(Status.Code.CANCELLED, Code.UNAVAILABLE),
            Map.entry(Status.Code.DEADLINE_EXCEEDED, Code.DEADLINE_EXCEEDED),
            Map.entry(Status.Code.UNKNOWN, Code.INTERNAL),
            Map.entry(Status.Code.INTERNAL, Code.INTERNAL),
            Map.entry(Status.Code.UNIMPLEMENTED, Code.INTERNAL),
            Map.entry(Status.Code.RESOURCE_EXHAUSTED, Code.INTERNAL),
            Map.entry(Status.Code.DATA_LOSS, Code.INTERNAL),
            Map.entry(Status.Code.OK, Code.INTERNAL));
    assertEquals(Status.Code.values().length, expected.size());
    expected.forEach(
        (grpc, code) ->
            assertEquals(code, AgentErrors.map(Status.fromCode(grpc).asRuntimeException()).code(), grpc.name()));
  }

  @Test
  void keepsTheGuestsFirstLine() {
    AgentException e =
        AgentErrors.map(
            Status.NOT_FOUND.withDescription("exec: \"nope\": not found in PATH\nsecond line").asRuntimeException());
    assertEquals(Code.NOT_FOUND, e.code());
    assertEquals("exec: \"nope\": not found in PATH", e.getMessage());
  }

  @Test
  void describesStatusesWithoutDescription() {
    AgentException e =
        AgentErrors.map(Status.INTERNAL.withCause(new IOException("connection refused")).asException());
    assertEquals(Code.INTERNAL, e.code());
    assertTrue(e.getMessage().contains("INTERNAL"), e.getMessage());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }

  @Test
  void otherFailuresAreInternalAndAgentExceptionsPassThrough() {
    assertEquals(Code.INTERNAL, AgentErrors.map(new IllegalStateException("boom")).code());
    AgentException own = new AgentException(Code.NOT_FOUND, "x");
    assertSame(own, AgentErrors.map(own));
  }

  /** Issue 16, defect 8: the transport's own words never reach users. */
  @Test
  void transportFailuresAreSaidInOurWords() {
    for (Status status : java.util.List.of(
        Status.UNAVAILABLE.withDescription("Network closed for unknown reason"),
        Status.UNAVAILABLE.withDescription("Channel shutdownNow invoked"),
        Status.UNAVAILABLE.withDescription("io exception").withCause(new IOException("Connection reset by peer")),
        Status.CANCELLED.withDescription("Channel shutdown invoked"),
        Status.UNAVAILABLE)) {
      AgentException e = AgentErrors.map(status.asRuntimeException());
      assertEquals(Code.UNAVAILABLE, e.code());
      assertEquals("lost the connection to the environment (it was stopped, or its VM or the linux daemon exited)", e.getMessage());
    }
    // The guest's and the relay's own answers are kept.
    assertEquals("dev was stopped", AgentErrors.map(Status.UNAVAILABLE.withDescription("dev was stopped").asRuntimeException()).getMessage());
  }
}
