package dev.linux.env.registry;

import dev.linux.env.fs.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Docker's client configuration, {@code $DOCKER_CONFIG/config.json} (default
 * {@code ~/.docker/config.json}), as far as registries go: {@code auths} (base64
 * {@code user:password} in {@code auth}, or {@code username}/{@code password}),
 * {@code credHelpers} (per registry) and {@code credsStore} (for all). Keys of {@code auths} may
 * be bare host names or URLs such as {@code https://index.docker.io/v1/}. Fields this class does
 * not know are kept when it writes the file.
 */
public final class DockerConfig {

  /** The key docker uses for Docker Hub. */
  static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final ObjectNode root;
  private final CredentialHelper helpers;

  private DockerConfig(Path file, ObjectNode root, CredentialHelper helpers) {
    this.file = file;
    this.root = root;
    this.helpers = helpers;
  }

  /** The directory docker's client uses, from {@code DOCKER_CONFIG} or {@code HOME}. */
  public static Path directory(Map<String, String> env) {
    String dir = env.get("DOCKER_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir);
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".docker");
  }

  /** Reads {@code config.json} in {@code dir}; a missing file is an empty configuration. */
  public static DockerConfig load(Path dir, CredentialHelper helpers) {
    Path file = dir.resolve("config.json");
    try {
      byte[] bytes = Files.readAllBytes(file);
      JsonNode node = bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
      if (!(node instanceof ObjectNode object)) {
        throw new IllegalArgumentException(file + " is malformed: not a JSON object");
      }
      return new DockerConfig(file, object, helpers);
    } catch (NoSuchFileException e) {
      return new DockerConfig(file, JSON.createObjectNode(), helpers);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + " is malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
    }
  }

  public Path file() {
    return file;
  }

  /**
   * The credentials to use for {@code registry} (e.g. {@code docker.io}, {@code 127.0.0.1:5000}):
   * a registry's own credential helper first, then an {@code auths} entry, then the default store.
   */
  public Optional<Credentials> credentials(String registry) {
    String helper = findByRegistry(root.path("credHelpers"), registry).map(JsonNode::asText).orElse(null);
    if (helper != null && !helper.isEmpty()) {
      return helpers.get(helper, serverKey(registry));
    }
    Optional<JsonNode> entry = findByRegistry(root.path("auths"), registry);
    if (entry.isPresent()) {
      JsonNode auth = entry.get();
      String where = file + " auths entry for " + registry;
      if (auth.path("auth").isTextual() && !auth.path("auth").asText().isEmpty()) {
        return Optional.of(Credentials.decode(auth.path("auth").asText(), where));
      }
      if (auth.path("username").isTextual() && auth.path("password").isTextual()) {
        return Optional.of(new Credentials(auth.path("username").asText(), auth.path("password").asText()));
      }
    }
    String store = root.path("credsStore").asText("");
    if (!store.isEmpty()) {
      return helpers.get(store, serverKey(registry));
    }
    return Optional.empty();
  }

  /** Stores credentials as a base64 {@code auths} entry and writes the file (mode 0600). */
  public void login(String registry, Credentials credentials) throws IOException {
    ObjectNode auths = root.path("auths") instanceof ObjectNode o ? o : root.putObject("auths");
    removeMatching(auths, registry);
    auths.putObject(serverKey(registry)).put("auth", credentials.encoded());
    write();
  }

  /** Removes the registry's {@code auths} entry; false if there was none. */
  public boolean logout(String registry) throws IOException {
    if (!(root.path("auths") instanceof ObjectNode auths) || !removeMatching(auths, registry)) {
      return false;
    }
    write();
    return true;
  }

  private static boolean removeMatching(ObjectNode auths, String registry) {
    boolean removed = false;
    for (Iterator<String> it = auths.fieldNames(); it.hasNext(); ) {
      if (normalize(it.next()).equals(normalize(registry))) {
        it.remove();
        removed = true;
      }
    }
    return removed;
  }

  private void write() throws IOException {
    AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root),
        PosixFilePermissions.fromString("rw-------"));
  }

  /** The key docker's client writes for a registry. */
  static String serverKey(String registry) {
    return normalize(registry).equals("docker.io") ? DOCKER_HUB_KEY : registry;
  }

  private static Optional<JsonNode> findByRegistry(JsonNode map, String registry) {
    if (!map.isObject()) {
      return Optional.empty();
    }
    String wanted = normalize(registry);
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (normalize(e.getKey()).equals(wanted)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /** {@code https://index.docker.io/v1/} → {@code docker.io}; {@code http://h:5000/x} → {@code h:5000}. */
  public static String normalize(String key) {
    String host = key.strip();
    int scheme = host.indexOf("://");
    if (scheme >= 0) {
      host = host.substring(scheme + 3);
    }
    int slash = host.indexOf('/');
    if (slash >= 0) {
      host = host.substring(0, slash);
    }
    host = host.toLowerCase(java.util.Locale.ROOT);
    return switch (host) {
      case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> "docker.io";
      default -> host;
    };
  }
}
