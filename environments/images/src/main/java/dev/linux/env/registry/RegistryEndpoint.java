package dev.linux.env.registry;

import dev.linux.env.image.Digest;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

/**
 * Where a registry's API is: {@code https://HOST/v2/}, or plain HTTP for loopback registries
 * (127.0.0.0/8, {@code ::1}, {@code localhost}) and ones the user configured as insecure. Docker
 * Hub's API lives at {@code registry-1.docker.io}.
 *
 * @param registry the name in references, e.g. {@code docker.io} or {@code 127.0.0.1:5000}
 * @param base e.g. {@code https://registry-1.docker.io}
 */
public record RegistryEndpoint(String registry, URI base) {

  /** Maps a registry name to its endpoint. */
  public static RegistryEndpoint of(String registry, Set<String> insecure) {
    String host = registry.equals("docker.io") ? "registry-1.docker.io" : registry;
    boolean plain = isLoopback(registry) || insecure.contains(registry);
    return new RegistryEndpoint(registry, URI.create((plain ? "http://" : "https://") + host));
  }

  /** Whether {@code registry} (host with optional port) names this machine. */
  public static boolean isLoopback(String registry) {
    String host = registry.toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 && host.substring(1, end).equals("::1");
    }
    int colon = host.indexOf(':');
    if (colon >= 0) {
      host = host.substring(0, colon);
    }
    if (host.equals("localhost")) {
      return true;
    }
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** {@code /v2/REPO/manifests/REFERENCE}, where the reference is a tag or a digest. */
  public URI manifest(String repository, String reference) {
    return base.resolve("/v2/" + repository + "/manifests/" + reference);
  }

  /** {@code /v2/REPO/blobs/DIGEST}. */
  public URI blob(String repository, Digest digest) {
    return base.resolve("/v2/" + repository + "/blobs/" + digest);
  }

  /** {@code /v2/}: the API version check, answered 200 or 401 with the auth challenge. */
  public URI apiBase() {
    return base.resolve("/v2/");
  }
}
