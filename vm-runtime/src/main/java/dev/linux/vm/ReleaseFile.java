package dev.linux.vm;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A suite's {@code Release} file (the body of {@code InRelease} once its clear-signature is taken
 * off): the architectures and components the suite holds and the SHA256 and size of each index.
 */
record ReleaseFile(List<String> architectures, List<String> components, Map<String, Checksum> sha256) {

  /** An index file's expected size and SHA256 (lowercase hex). */
  record Checksum(String sha256, long size) {}

  ReleaseFile {
    architectures = List.copyOf(architectures);
    components = List.copyOf(components);
    sha256 = Map.copyOf(sha256);
  }

  /** The checksum of {@code path} (relative to {@code dists/SUITE/}), if the file lists it. */
  Optional<Checksum> checksum(String path) {
    return Optional.ofNullable(sha256.get(path));
  }

  /** Parses a Release file, or the text of an {@code InRelease} file (its signature is ignored here). */
  static ReleaseFile parse(String text, String what) throws IOException {
    String body = clearSignedBody(text);
    List<ControlStanza> stanzas = ControlStanza.parseAll(body);
    if (stanzas.isEmpty()) {
      throw new IOException(what + ": empty Release file");
    }
    ControlStanza release = stanzas.get(0);
    Map<String, Checksum> sums = new HashMap<>();
    for (String line : release.value("SHA256").lines().toList()) {
      String[] words = line.strip().split("\\s+");
      if (words.length != 3) {
        continue;
      }
      try {
        sums.put(words[2], new Checksum(words[0].toLowerCase(java.util.Locale.ROOT), Long.parseLong(words[1])));
      } catch (NumberFormatException e) {
        throw new IOException(what + ": bad SHA256 line '" + line.strip() + "'");
      }
    }
    if (sums.isEmpty()) {
      throw new IOException(what + ": the Release file lists no SHA256 checksums");
    }
    return new ReleaseFile(words(release.value("Architectures")), words(release.value("Components")), sums);
  }

  /**
   * The signed text of an OpenPGP clear-signed message ({@code InRelease}), dash-escaping undone;
   * text that is not clear-signed is returned as it is.
   */
  static String clearSignedBody(String text) throws IOException {
    if (!text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----")) {
      return text;
    }
    List<String> lines = text.lines().toList();
    int i = 1;
    while (i < lines.size() && !lines.get(i).isEmpty()) {
      i++; // armor headers ("Hash: SHA512")
    }
    StringBuilder body = new StringBuilder();
    for (i++; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.equals("-----BEGIN PGP SIGNATURE-----")) {
        return body.toString();
      }
      body.append(line.startsWith("- ") ? line.substring(2) : line).append('\n');
    }
    throw new IOException("InRelease: clear-signed message without a signature");
  }

  private static List<String> words(String value) {
    String v = value.strip();
    return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
  }
}
