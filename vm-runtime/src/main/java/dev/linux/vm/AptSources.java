package dev.linux.vm;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The binary package archives a host's apt is configured with: {@code /etc/apt/sources.list},
 * {@code sources.list.d/*.list} (one-line {@code deb [options] URI SUITE COMPONENT...}) and
 * {@code sources.list.d/*.sources} (deb822 paragraphs with {@code Types}, {@code URIs}, {@code
 * Suites}, {@code Components}). Only {@code deb} entries with an http, https or file URI count;
 * disabled ones ({@code Enabled: no}, commented lines, other file names) do not.
 */
final class AptSources {

  /**
   * One archive suite.
   *
   * @param uri the archive's base, ending in '/'
   * @param suite e.g. {@code bookworm}
   * @param components e.g. {@code main}
   * @param architectures the {@code arch=} / {@code Architectures} restriction (empty: none)
   * @param signedBy the keyring file apt checks the suite's signature with, when one is named
   */
  record Source(URI uri, String suite, List<String> components, List<String> architectures,
      Optional<Path> signedBy) {
    Source {
      String s = uri.toString();
      uri = s.endsWith("/") ? uri : URI.create(s + "/");
      components = List.copyOf(components);
      architectures = List.copyOf(architectures);
    }

    /** Where the suite's index files are: {@code URI/dists/SUITE/}. */
    URI dists() {
      return uri.resolve("dists/" + suite + "/");
    }

    @Override
    public String toString() {
      return uri + " " + suite;
    }
  }

  private AptSources() {}

  /** The sources under {@code etcApt} (normally {@code /etc/apt}); none when it does not exist. */
  static List<Source> read(Path etcApt) throws IOException {
    List<Source> sources = new ArrayList<>();
    Path list = etcApt.resolve("sources.list");
    if (Files.isRegularFile(list)) {
      sources.addAll(parseList(Files.readString(list)));
    }
    Path dir = etcApt.resolve("sources.list.d");
    if (Files.isDirectory(dir)) {
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.sorted().toList();
      }
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".list") && Files.isRegularFile(f)) {
          sources.addAll(parseList(Files.readString(f)));
        } else if (name.endsWith(".sources") && Files.isRegularFile(f)) {
          sources.addAll(parseDeb822(Files.readString(f)));
        }
      }
    }
    return sources;
  }

  /** One-line format: {@code deb [arch=amd64 signed-by=/k.gpg] http://mirror.example.org/debian bookworm main}. */
  static List<Source> parseList(String text) {
    List<Source> sources = new ArrayList<>();
    for (String raw : text.lines().toList()) {
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (!line.startsWith("deb ") && !line.startsWith("deb\t")) {
        continue;
      }
      String rest = line.substring(3).strip();
      Map<String, String> options = Map.of();
      if (rest.startsWith("[")) {
        int close = rest.indexOf(']');
        if (close < 0) {
          continue;
        }
        options = options(rest.substring(1, close));
        rest = rest.substring(close + 1).strip();
      }
      String[] words = rest.split("\\s+");
      if (words.length < 2) {
        continue;
      }
      List<String> components = Arrays.asList(words).subList(2, words.length);
      source(words[0], words[1], components, options.getOrDefault("arch", ""),
          options.getOrDefault("signed-by", "")).ifPresent(sources::add);
    }
    return sources;
  }

  /** deb822 format, one source per URI and suite of each {@code Types: deb} paragraph. */
  static List<Source> parseDeb822(String text) {
    List<Source> sources = new ArrayList<>();
    for (ControlStanza p : ControlStanza.parseAll(text)) {
      if (!words(p.value("Types")).contains("deb")) {
        continue;
      }
      if (List.of("no", "false", "0").contains(p.value("Enabled").strip().toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String uri : words(p.value("URIs"))) {
        for (String suite : words(p.value("Suites"))) {
          source(uri, suite, words(p.value("Components")), p.value("Architectures"),
              p.value("Signed-By")).ifPresent(sources::add);
        }
      }
    }
    return sources;
  }

  private static Optional<Source> source(
      String uri, String suite, List<String> components, String architectures, String signedBy) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    if (!List.of("http", "https", "file").contains(scheme) || suite.endsWith("/")) {
      // cdrom:, mirror+…, tor+… and flat repositories ("suite/") hold no dists/SUITE tree we read.
      return Optional.empty();
    }
    // Signed-By may also be an inline key block; only a file name is passed on.
    String key = signedBy.strip();
    Optional<Path> keyring =
        key.startsWith("/") && !key.contains("\n") ? Optional.of(Path.of(key)) : Optional.empty();
    return Optional.of(new Source(parsed, suite, components, words(architectures.replace(',', ' ')),
        keyring));
  }

  private static Map<String, String> options(String text) {
    Map<String, String> options = new java.util.LinkedHashMap<>();
    for (String word : text.strip().split("\\s+")) {
      int eq = word.indexOf('=');
      if (eq > 0) {
        String key = word.substring(0, eq).toLowerCase(Locale.ROOT);
        options.put(key.replaceAll("[+-]$", ""), word.substring(eq + 1));
      }
    }
    return options;
  }

  private static List<String> words(String value) {
    String v = value.strip();
    return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
  }
}
