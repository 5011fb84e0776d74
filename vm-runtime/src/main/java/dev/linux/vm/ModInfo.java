package dev.linux.vm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a kernel module's {@code .modinfo} ELF section, the source of {@code modinfo -F depends}:
 * needed when a kernel comes without {@code modules.dep} (Debian's package leaves it to depmod at
 * install time, and we never install).
 */
final class ModInfo {
  private ModInfo() {}

  /** The names of the modules {@code module} (the bytes of a 64-bit ELF .ko) depends on. */
  static List<String> dependencies(byte[] module, String what) throws IOException {
    for (String entry : entries(module, what)) {
      if (entry.startsWith("depends=")) {
        String value = entry.substring("depends=".length());
        List<String> deps = new ArrayList<>();
        for (String dep : value.split(",")) {
          if (!dep.isBlank()) {
            deps.add(KernelModules.normalize(dep.strip()));
          }
        }
        return deps;
      }
    }
    return List.of();
  }

  static List<String> entries(byte[] elf, String what) throws IOException {
    if (elf.length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
      throw new IOException(what + ": not an ELF file");
    }
    if (elf[4] != 2) {
      throw new IOException(what + ": not a 64-bit ELF file");
    }
    ByteBuffer b =
        ByteBuffer.wrap(elf).order(elf[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    try {
      long shoff = b.getLong(0x28);
      int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
      int shnum = Short.toUnsignedInt(b.getShort(0x3C));
      int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
      int strtab = Math.toIntExact(b.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18)));
      for (int i = 0; i < shnum; i++) {
        int sh = Math.toIntExact(shoff + (long) i * shentsize);
        int nameOffset = b.getInt(sh);
        if (!".modinfo".equals(cString(elf, strtab + nameOffset))) {
          continue;
        }
        int start = Math.toIntExact(b.getLong(sh + 0x18));
        int size = Math.toIntExact(b.getLong(sh + 0x20));
        List<String> entries = new ArrayList<>();
        int pos = start;
        while (pos < start + size) {
          String s = cString(elf, pos);
          pos += s.getBytes(StandardCharsets.UTF_8).length + 1;
          if (!s.isEmpty()) {
            entries.add(s);
          }
        }
        return entries;
      }
      return List.of();
    } catch (IndexOutOfBoundsException | ArithmeticException e) {
      throw new IOException(what + ": malformed ELF file", e);
    }
  }

  private static String cString(byte[] bytes, int start) {
    int end = start;
    while (bytes[end] != 0) {
      end++;
    }
    return new String(bytes, start, end - start, StandardCharsets.UTF_8);
  }
}
