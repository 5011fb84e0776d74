package dev.linux.env;

import static dev.linux.env.EnvironmentState.BROKEN;
import static dev.linux.env.EnvironmentState.CREATED;
import static dev.linux.env.EnvironmentState.RUNNING;
import static dev.linux.env.EnvironmentState.STARTING;
import static dev.linux.env.EnvironmentState.STOPPED;
import static dev.linux.env.EnvironmentState.STOPPING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironmentStateTest {

  @Test
  void whileAVmRunsOnlyStartingAndStoppingAreKept() {
    assertEquals(RUNNING, EnvironmentState.effective(null, true));
    assertEquals(RUNNING, EnvironmentState.effective(CREATED, true));
    assertEquals(STARTING, EnvironmentState.effective(STARTING, true));
    assertEquals(RUNNING, EnvironmentState.effective(RUNNING, true));
    assertEquals(STOPPING, EnvironmentState.effective(STOPPING, true));
    assertEquals(RUNNING, EnvironmentState.effective(STOPPED, true));
    assertEquals(RUNNING, EnvironmentState.effective(BROKEN, true));
  }

  @Test
  void withoutAVmStartingAndStoppingStandWhileAnOperationHoldsTheLock() {
    assertEquals(STARTING, EnvironmentState.effective(STARTING, false, true));
    assertEquals(STOPPING, EnvironmentState.effective(STOPPING, false, true));
    assertEquals(STOPPED, EnvironmentState.effective(RUNNING, false, true), "running needs a VM");
    assertEquals(CREATED, EnvironmentState.effective(CREATED, false, true));
    assertEquals(STOPPED, EnvironmentState.effective(STARTING, false, false), "no operation: stale");
    assertEquals(RUNNING, EnvironmentState.effective(RUNNING, true, true));
  }

  @Test
  void withoutAVmAStaleRunningStartingOrStoppingIsStopped() {
    assertEquals(CREATED, EnvironmentState.effective(null, false));
    assertEquals(CREATED, EnvironmentState.effective(CREATED, false));
    assertEquals(STOPPED, EnvironmentState.effective(STARTING, false));
    assertEquals(STOPPED, EnvironmentState.effective(RUNNING, false));
    assertEquals(STOPPED, EnvironmentState.effective(STOPPING, false));
    assertEquals(STOPPED, EnvironmentState.effective(STOPPED, false));
    assertEquals(BROKEN, EnvironmentState.effective(BROKEN, false));
  }

  @Test
  void labelsAreTheLowerCaseNamesAndParseBack() {
    assertEquals(List.of("created", "starting", "running", "stopping", "stopped", "broken"),
        Arrays.stream(EnvironmentState.values()).map(EnvironmentState::label).toList());
    for (EnvironmentState state : EnvironmentState.values()) {
      assertEquals(state, EnvironmentState.of(state.label()));
      assertEquals(state.label(), state.toString());
    }
    assertEquals(RUNNING, EnvironmentState.of("RUNNING"));
    assertThrows(IllegalArgumentException.class, () -> EnvironmentState.of("paused"));
  }
}
