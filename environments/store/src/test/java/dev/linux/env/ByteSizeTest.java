package dev.linux.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

  @Test
  void parsesBinaryUnits() {
    assertEquals(1048576, ByteSize.parse("1048576").bytes());
    assertEquals(512L << 20, ByteSize.parse("512M").bytes());
    assertEquals(4L << 30, ByteSize.parse("4G").bytes());
    assertEquals(4L << 30, ByteSize.parse("4GiB").bytes());
    assertEquals(4L << 30, ByteSize.parse("4gb").bytes());
    assertEquals(1536L << 20, ByteSize.parse("1.5G").bytes());
    assertEquals(2L << 40, ByteSize.parse("2T").bytes());
    assertEquals(8L << 10, ByteSize.parse(" 8k ").bytes());
  }

  @Test
  void rejectsNonsense() {
    for (String bad : new String[] {"", "G", "4X", "-1G", "4 G B", "lots"}) {
      EnvException e = assertThrows(EnvException.class, () -> ByteSize.parse(bad), bad);
      assertEquals(EnvException.Code.INVALID_ARGUMENT, e.code());
      assertEquals("invalid size '" + bad + "': expected a number with an optional unit K, M, G or T (e.g. 4G)", e.getMessage());
    }
    assertThrows(EnvException.class, () -> ByteSize.parse("99999999999T"));
  }

  @Test
  void printsHumanSizes() {
    assertEquals("4 GiB", ByteSize.parse("4G").human());
    assertEquals("1.5 GiB", ByteSize.parse("1.5G").human());
    assertEquals("512 MiB", ByteSize.parse("512M").human());
    assertEquals("100 B", new ByteSize(100).human());
  }
}
