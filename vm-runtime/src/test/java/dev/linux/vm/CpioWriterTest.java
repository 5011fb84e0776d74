package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CpioWriterTest {
  @Test
  void roundTripsNamesModesSizesAndData() throws Exception {
    byte[] big = new byte[70_001];
    new Random(1).nextBytes(big);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CpioWriter cpio = new CpioWriter(out)) {
      cpio.directory("dev", 0755);
      cpio.characterDevice("dev/console", 0600, 5, 1);
      cpio.file("init", 0755, "abc".getBytes(StandardCharsets.UTF_8));
      cpio.directory("lib", 0755);
      cpio.file("lib/empty", 0644, new byte[0]);
      cpio.file("lib/big", 0644, big.length, new ByteArrayInputStream(big));
      cpio.symlink("lib/link", "big");
    }
    List<CpioReader.Entry> entries = CpioReader.read(out.toByteArray());
    assertEquals(
        List.of("dev", "dev/console", "init", "lib", "lib/empty", "lib/big", "lib/link"),
        entries.stream().map(CpioReader.Entry::name).toList());
    assertEquals(0040755, entries.get(0).mode());
    assertEquals(2, entries.get(0).nlink());
    assertEquals(0020600, entries.get(1).mode());
    assertEquals(5, entries.get(1).rdevMajor());
    assertEquals(1, entries.get(1).rdevMinor());
    assertEquals(0100755, entries.get(2).mode());
    assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), entries.get(2).data());
    assertEquals(0, entries.get(4).data().length);
    assertArrayEquals(big, entries.get(5).data());
    assertEquals(0120777, entries.get(6).mode());
    assertEquals("big", new String(entries.get(6).data(), StandardCharsets.UTF_8));
    entries.forEach(e -> assertEquals(0, e.headerOffset() % 4, e.name()));
    assertEquals(0, out.size() % 4);
    assertEquals(entries.size(), new HashSet<>(entries.stream().map(e -> e.headerOffset()).toList()).size());
  }

  @Test
  void emptyArchiveIsJustTheTrailer() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new CpioWriter(out).close();
    assertEquals(List.of(), CpioReader.read(out.toByteArray()));
    String text = out.toString(StandardCharsets.US_ASCII);
    assertTrue(text.startsWith("070701"));
    assertTrue(text.contains("TRAILER!!!"));
  }

  @Test
  void outputIsDeterministic() throws Exception {
    assertArrayEquals(sample(), sample());
  }

  @Test
  void rejectsBadNamesDuplicatesAndShortStreams() throws Exception {
    CpioWriter cpio = new CpioWriter(new ByteArrayOutputStream());
    assertThrows(IllegalArgumentException.class, () -> cpio.file("/abs", 0644, new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> cpio.file("", 0644, new byte[0]));
    cpio.directory("a", 0755);
    assertThrows(IllegalArgumentException.class, () -> cpio.directory("a", 0755));
    assertThrows(
        java.io.IOException.class,
        () -> cpio.file("b", 0644, 10, new ByteArrayInputStream(new byte[3])));
  }

  private static byte[] sample() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CpioWriter cpio = new CpioWriter(out)) {
      cpio.directory("x", 0755);
      cpio.file("x/y", 0600, new byte[] {1, 2, 3, 4, 5});
    }
    return out.toByteArray();
  }
}
