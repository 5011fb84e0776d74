package dev.linux.env;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in bytes as users write it: {@code 512M}, {@code 4G}, {@code 64GiB}, {@code 1048576}. */
public record ByteSize(long bytes) {

  private static final Pattern FORMAT =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative: " + bytes);
    }
  }

  public static ByteSize ofMiB(long mib) {
    return new ByteSize(mib << 20);
  }

  /** Parses binary units (K, M, G, T are powers of 1024, with or without "iB"/"B"). */
  public static ByteSize parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT,
          "invalid size '" + text + "': expected a number with an optional unit K, M, G or T (e.g. 4G)");
    }
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    double value = Double.parseDouble(m.group(1)) * (1L << shift);
    if (value > Long.MAX_VALUE / 2) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "invalid size '" + text + "': too large");
    }
    return new ByteSize((long) value);
  }

  public long mib() {
    return bytes >> 20;
  }

  /** A short human form: {@code 4 GiB}, {@code 512 MiB}, {@code 1.2 GiB}. */
  public String human() {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    if (u == 0 || v >= 10 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f %s", v, units[u]);
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  @Override
  public String toString() {
    return human();
  }
}
