package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EnvNameTest {

  @ParameterizedTest
  @ValueSource(strings = {"dev", "a", "web-2", "0day", "x1-y2-z3"})
  void acceptsSafeNames(String name) {
    assertEquals(name, EnvName.of(name).value());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/b", ".", "..", "Dev", "-x", "x-", "a_b", "a b", "é", "a\nb", "dev.local"})
  void rejectsUnsafeNames(String name) {
    EnvException e = assertThrows(EnvException.class, () -> EnvName.of(name));
    assertEquals(EnvException.Code.INVALID_ARGUMENT, e.code());
    assertEquals(
        "invalid environment name '" + name.replace("\n", "\\x0a") + "': use lowercase letters, digits and '-', starting and ending with a letter or digit",
        e.getMessage());
  }

  @Test
  void rejectsEmptyAndTooLong() {
    assertEquals("invalid environment name '': the name is empty",
        assertThrows(EnvException.class, () -> EnvName.of("")).getMessage());
    assertEquals("invalid environment name '': the name is empty",
        assertThrows(EnvException.class, () -> EnvName.of(null)).getMessage());
    EnvName.of("x".repeat(EnvName.MAX_LENGTH));
    String tooLong = "x".repeat(EnvName.MAX_LENGTH + 1);
    assertEquals("invalid environment name '" + tooLong + "': names are at most 48 characters",
        assertThrows(EnvException.class, () -> EnvName.of(tooLong)).getMessage());
  }
}
