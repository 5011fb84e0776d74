package dev.linux.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One paragraph of Debian's control-file syntax (deb822): {@code Field: value} lines, continuation
 * lines starting with a space or tab, paragraphs separated by blank lines, {@code #} comment lines
 * (allowed in apt's {@code .sources}). Field names compare case-insensitively, as Debian's do.
 * Release files, {@code Packages} indexes and apt's {@code .sources} files all use it.
 */
record ControlStanza(Map<String, String> fields) {

  ControlStanza {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** The value of a field (a multi-line value keeps its line breaks; the first line may be empty). */
  Optional<String> get(String field) {
    return Optional.ofNullable(fields.get(field.toLowerCase(Locale.ROOT)));
  }

  /** The value of a field, or "". */
  String value(String field) {
    return get(field).orElse("");
  }

  /** Every paragraph of {@code text}. */
  static List<ControlStanza> parseAll(String text) {
    List<ControlStanza> all = new ArrayList<>();
    try {
      forEach(new BufferedReader(new StringReader(text)), all::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  /** Streams the paragraphs of {@code reader} (which may be large, such as a Packages index). */
  static void forEach(BufferedReader reader, Consumer<ControlStanza> sink) throws IOException {
    Map<String, String> fields = new LinkedHashMap<>();
    String current = null;
    StringBuilder value = new StringBuilder();
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.isBlank()) {
        if (current != null) {
          fields.put(current, value.toString());
          current = null;
        }
        if (!fields.isEmpty()) {
          sink.accept(new ControlStanza(fields));
          fields = new LinkedHashMap<>();
        }
        continue;
      }
      if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        if (current == null) {
          throw new IOException("control file: continuation line without a field: '" + line.strip() + "'");
        }
        String part = line.strip();
        value.append('\n').append(part.equals(".") ? "" : part);
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("control file: expected 'Field: value', not '" + abbreviate(line) + "'");
      }
      if (current != null) {
        fields.put(current, value.toString());
      }
      current = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      value.setLength(0);
      value.append(line.substring(colon + 1).strip());
    }
    if (current != null) {
      fields.put(current, value.toString());
    }
    if (!fields.isEmpty()) {
      sink.accept(new ControlStanza(fields));
    }
  }

  private static String abbreviate(String line) {
    return line.length() > 60 ? line.substring(0, 60) + "…" : line;
  }
}
