package dev.linux.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads a newc archive back, strictly: for tests of {@link CpioWriter}. */
final class CpioReader {
  record Entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data, int headerOffset) {}

  static List<Entry> read(byte[] archive) throws IOException {
    List<Entry> entries = new ArrayList<>();
    int pos = 0;
    while (true) {
      if (pos % 4 != 0) {
        throw new IOException("header at " + pos + " not 4-byte aligned");
      }
      String magic = new String(archive, pos, 6, StandardCharsets.US_ASCII);
      if (!magic.equals("070701")) {
        throw new IOException("bad magic at " + pos + ": " + magic);
      }
      long[] f = new long[13];
      for (int i = 0; i < 13; i++) {
        f[i] = Long.parseLong(new String(archive, pos + 6 + i * 8, 8, StandardCharsets.US_ASCII), 16);
      }
      int nameSize = (int) f[11];
      int nameStart = pos + 110;
      if (archive[nameStart + nameSize - 1] != 0) {
        throw new IOException("name not NUL-terminated");
      }
      String name = new String(archive, nameStart, nameSize - 1, StandardCharsets.UTF_8);
      int dataStart = align(nameStart + nameSize);
      for (int i = nameStart + nameSize; i < dataStart; i++) {
        if (archive[i] != 0) throw new IOException("non-zero padding after name " + name);
      }
      int size = (int) f[6];
      byte[] data = Arrays.copyOfRange(archive, dataStart, dataStart + size);
      int next = align(dataStart + size);
      for (int i = dataStart + size; i < next; i++) {
        if (archive[i] != 0) throw new IOException("non-zero padding after data of " + name);
      }
      if (name.equals("TRAILER!!!")) {
        if (next != archive.length) {
          throw new IOException("bytes after trailer");
        }
        return entries;
      }
      entries.add(new Entry(name, (int) f[1], (int) f[4], (int) f[9], (int) f[10], data, pos));
      pos = next;
    }
  }

  private static int align(int n) {
    return (n + 3) & ~3;
  }
}
