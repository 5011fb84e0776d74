package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArReaderTest {
  private static byte[] archive() {
    return FakeArchive.ar(new LinkedHashMap<>(Map.of("debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII))),
        "odd", "abc".getBytes(StandardCharsets.US_ASCII), "gnu-name/", "xy".getBytes(StandardCharsets.US_ASCII),
        "empty", new byte[0]);
  }

  private static List<String> read(byte[] bytes, boolean readData) throws IOException {
    List<String> seen = new ArrayList<>();
    try (ArReader ar = new ArReader(new ByteArrayInputStream(bytes), "t.deb")) {
      for (var m = ar.next(); m.isPresent(); m = ar.next()) {
        String data = readData ? new String(m.get().data().readAllBytes(), StandardCharsets.US_ASCII) : "?";
        seen.add(m.get().name() + "=" + data.strip() + "/" + m.get().size());
      }
    }
    return seen;
  }

  @Test
  void readsMembersWithPaddingWhetherOrNotTheirDataIsRead() throws Exception {
    List<String> expected = List.of("debian-binary=2.0/4", "odd=abc/3", "gnu-name=xy/2", "empty=/0");
    assertEquals(expected, read(archive(), true));
    assertEquals(expected.stream().map(s -> s.replaceAll("=[^/]*/", "=?/")).toList(), read(archive(), false));
  }

  @Test
  void garbageIsNotAnArArchive() {
    var e = assertThrows(IOException.class, () -> read("PK\3\4 not an ar archive".getBytes(), true));
    assertEquals("t.deb: not an ar archive (no !<arch> header)", e.getMessage());
    assertThrows(IOException.class, () -> read(new byte[0], true));
  }

  @Test
  void truncatedArchivesFailWithOneLine() {
    byte[] whole = archive();
    for (int cut : new int[] {8 + 30, 8 + 60 + 2, whole.length - 61}) {
      byte[] part = Arrays.copyOf(whole, cut);
      for (boolean readData : new boolean[] {true, false}) {
        var e = assertThrows(IOException.class, () -> read(part, readData), "cut at " + cut);
        assertTrue(e.getMessage().startsWith("t.deb: truncated ar archive"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
      }
    }
  }

  @Test
  void corruptHeadersAreReported() {
    byte[] bad = archive();
    bad[8 + 58] = 'X';
    var e = assertThrows(IOException.class, () -> read(bad, true));
    assertEquals("t.deb: corrupt ar archive (bad member header)", e.getMessage());
    byte[] size = archive();
    System.arraycopy("12x4".getBytes(StandardCharsets.US_ASCII), 0, size, 8 + 48, 4);
    e = assertThrows(IOException.class, () -> read(size, true));
    assertTrue(e.getMessage().startsWith("t.deb: corrupt ar archive (member size"), e.getMessage());
  }
}
