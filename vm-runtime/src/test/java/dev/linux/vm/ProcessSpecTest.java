package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessSpecTest {
  @Test
  void theNineArgumentConstructorMeansNoUserName() {
    ProcessSpec spec = new ProcessSpec(List.of("sh"), List.of("A=1"), "/", 5, 6, List.of(7), false, 0, 0);
    assertEquals("", spec.user());
    assertEquals(spec, new ProcessSpec(List.of("sh"), List.of("A=1"), "/", 5, 6, List.of(7), false, 0, 0, null));
  }

  @Test
  void withUserAndWithTtyKeepTheRest() {
    ProcessSpec spec = ProcessSpec.of("id").withUser("alice:wheel").withTty(40, 132);
    assertEquals("alice:wheel", spec.user());
    assertTrue(spec.tty());
    assertEquals(40, spec.rows());
    assertEquals(132, spec.cols());
    assertEquals(List.of("id"), spec.args());
  }

  @Test
  void newUserIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> NewUser.of("", 1000, 1000));
    assertThrows(IllegalArgumentException.class, () -> NewUser.of("root2", 0, 1000));
    NewUser u = NewUser.of("bob", 1001, 1001);
    assertTrue(u.sudo());
    assertEquals("", u.shell());
  }

  @Test
  void fileStatTypes() {
    FileStat dir = new FileStat("/tmp", 041777, 0, 0, 4096, java.time.Instant.EPOCH, "");
    assertTrue(dir.isDirectory());
    assertEquals(01777, dir.permissions());
    assertTrue(new FileStat("/l", 0120777, 0, 0, 1, java.time.Instant.EPOCH, "x").isSymbolicLink());
  }
}
