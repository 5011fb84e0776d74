package dev.linux.env.image;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An image reference as users type it, validated at construction.
 *
 * <p>Registry references follow the docker reference grammar (which the OCI distribution
 * specification shares): {@code [registry/]repository[:tag][@sha256:<hex>]}. A first component
 * containing {@code .} or {@code :}, or equal to {@code localhost}, is a registry; otherwise the
 * registry is {@code docker.io}, and a single-component repository there lives under
 * {@code library/}. The tag defaults to {@code latest} unless a digest is given. {@code docker://}
 * may prefix a registry reference.
 *
 * <p>Local sources use skopeo's transports: {@code oci:DIR[:TAG]}, {@code oci-archive:FILE[:TAG]}
 * (the path ends at the first colon, as in skopeo) and {@code docker-archive:FILE}. A transport
 * name wins over a repository of the same name: {@code oci:foo} is the layout directory
 * {@code foo}, never the image {@code docker.io/library/oci:foo}.
 *
 * @param transport where the image comes from
 * @param registry registry host (with port), e.g. {@code docker.io}; null for local transports
 * @param repository repository path, e.g. {@code library/debian}; null for local transports
 * @param tag the tag, or null (a registry reference with a digest and no tag; a local layout
 *     holding a single image)
 * @param digest the manifest digest, or null
 * @param path the directory or archive of a local transport; null for registry references
 */
public record ImageRef(
    Transport transport, String registry, String repository, String tag, Digest digest, String path) {

  /** The registry docker's short names refer to. */
  public static final String DOCKER_HUB = "docker.io";

  private static final String DEFAULT_TAG = "latest";
  private static final int MAX_NAME_LENGTH = 255;
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
  private static final Pattern DOMAIN = Pattern.compile(
      "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
          + "|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  /** The OCI image layout's {@code org.opencontainers.image.ref.name} grammar. */
  private static final Pattern LAYOUT_REF_NAME = Pattern.compile(
      "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");

  /** Where an image is read from. */
  public enum Transport {
    /** A registry speaking the OCI distribution API. */
    REGISTRY("docker://"),
    /** An OCI image layout directory. */
    OCI("oci:"),
    /** A tar archive of an OCI image layout. */
    OCI_ARCHIVE("oci-archive:"),
    /** A tar archive as {@code docker save} writes it. */
    DOCKER_ARCHIVE("docker-archive:");

    private final String prefix;

    Transport(String prefix) {
      this.prefix = prefix;
    }

    /** How the transport is spelled in front of a reference, e.g. {@code oci:}. */
    public String prefix() {
      return prefix;
    }
  }

  public ImageRef {
    if (transport == null) {
      throw new IllegalArgumentException("invalid image reference: transport is missing");
    }
    if (transport == Transport.REGISTRY && tag == null && digest == null) {
      tag = DEFAULT_TAG;
    }
    String problem = problem(transport, registry, repository, tag, digest, path);
    if (problem != null) {
      throw new IllegalArgumentException("invalid image reference: " + problem);
    }
  }

  /**
   * Parses a reference as a user typed it.
   *
   * @throws IllegalArgumentException with a one-line message naming the reference and what is wrong
   */
  public static ImageRef parse(String text) {
    if (text == null || text.isBlank()) {
      throw invalid(text == null ? "" : text, "empty");
    }
    if (!text.strip().equals(text)) {
      throw invalid(text, "leading or trailing white space");
    }
    if (text.startsWith(Transport.REGISTRY.prefix())) {
      return parseRegistryReference(text, text.substring(Transport.REGISTRY.prefix().length()));
    }
    int scheme = text.indexOf("://");
    if (scheme >= 0) {
      throw invalid(text, "unsupported transport '" + text.substring(0, scheme + 3)
          + "' (use a registry reference, docker://, oci:, oci-archive: or docker-archive:)");
    }
    for (Transport local : new Transport[] {Transport.OCI, Transport.OCI_ARCHIVE, Transport.DOCKER_ARCHIVE}) {
      if (text.startsWith(local.prefix())) {
        return parseLocal(text, local, text.substring(local.prefix().length()));
      }
    }
    return parseRegistryReference(text, text);
  }

  private static ImageRef parseLocal(String text, Transport transport, String rest) {
    String path = rest;
    String tag = null;
    if (transport != Transport.DOCKER_ARCHIVE) {
      int colon = rest.indexOf(':');
      if (colon >= 0) {
        path = rest.substring(0, colon);
        tag = rest.substring(colon + 1);
      }
    }
    String problem = problem(transport, null, null, tag, null, path);
    if (problem != null) {
      throw invalid(text, problem);
    }
    return new ImageRef(transport, null, null, tag, null, path);
  }

  private static ImageRef parseRegistryReference(String text, String ref) {
    if (ref.isEmpty()) {
      throw invalid(text, "empty");
    }
    Digest digest = null;
    int at = ref.indexOf('@');
    String name = ref;
    if (at >= 0) {
      name = ref.substring(0, at);
      try {
        digest = Digest.parse(ref.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw invalid(text, e.getMessage());
      }
    }
    String tag = null;
    int colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      tag = name.substring(colon + 1);
      name = name.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(text, "invalid tag '" + tag + "' (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')");
      }
    }
    String registry = DOCKER_HUB;
    String repository = name;
    int slash = name.indexOf('/');
    if (slash >= 0) {
      String first = name.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")
          || !first.equals(first.toLowerCase(Locale.ROOT))) {
        registry = first;
        repository = name.substring(slash + 1);
      }
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !repository.isEmpty() && repository.indexOf('/') < 0) {
      repository = "library/" + repository;
    }
    String problem = problem(Transport.REGISTRY, registry, repository, tag == null && digest == null ? DEFAULT_TAG : tag, digest, null);
    if (problem != null) {
      throw invalid(text, problem);
    }
    return new ImageRef(Transport.REGISTRY, registry, repository, tag, digest, null);
  }

  private static String problem(
      Transport transport, String registry, String repository, String tag, Digest digest, String path) {
    if (transport != Transport.REGISTRY) {
      if (registry != null || repository != null || digest != null) {
        return transport.prefix() + " references have neither registry, repository nor digest";
      }
      if (path == null || path.isEmpty()) {
        return "missing " + (transport == Transport.OCI ? "directory" : "file") + " after '" + transport.prefix() + "'";
      }
      if (tag != null) {
        if (transport == Transport.DOCKER_ARCHIVE) {
          return "docker-archive: references take no tag";
        }
        if (!LAYOUT_REF_NAME.matcher(tag).matches()) {
          return "invalid tag '" + tag + "'";
        }
      }
      return null;
    }
    if (path != null) {
      return "registry references have no path";
    }
    if (registry == null || !DOMAIN.matcher(registry).matches()) {
      return "invalid registry '" + registry + "'";
    }
    if (repository == null || repository.isEmpty()) {
      return "missing repository name";
    }
    if (!repository.equals(repository.toLowerCase(Locale.ROOT))) {
      return "repository names must be lowercase";
    }
    for (String component : repository.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        return "invalid repository name '" + repository
            + "' (components of a-z and 0-9 separated by '.', '_', '__' or '-', joined by '/')";
      }
    }
    if (registry.length() + 1 + repository.length() > MAX_NAME_LENGTH) {
      return "name longer than " + MAX_NAME_LENGTH + " characters";
    }
    if (tag != null && !TAG.matcher(tag).matches()) {
      return "invalid tag '" + tag + "'";
    }
    return null;
  }

  private static IllegalArgumentException invalid(String text, String reason) {
    return new IllegalArgumentException("invalid image reference '" + text + "': " + reason);
  }

  /** Whether the image is read from a local directory or archive rather than a registry. */
  public boolean isLocal() {
    return transport != Transport.REGISTRY;
  }

  /** {@code registry/repository} for registry references, e.g. {@code docker.io/library/debian}. */
  public String name() {
    return transport == Transport.REGISTRY ? registry + "/" + repository : toString();
  }

  /** The canonical form: {@code docker.io/library/debian:bookworm}, {@code oci:DIR:TAG}. */
  @Override
  public String toString() {
    if (transport != Transport.REGISTRY) {
      return transport.prefix() + path + (tag == null ? "" : ":" + tag);
    }
    return registry + "/" + repository + suffix();
  }

  /** The short form people type: {@code debian:bookworm}, {@code ghcr.io/org/name:tag}. */
  public String familiarName() {
    if (transport != Transport.REGISTRY) {
      return toString();
    }
    String name = repository;
    if (registry.equals(DOCKER_HUB)) {
      if (name.startsWith("library/") && name.indexOf('/', "library/".length()) < 0) {
        name = name.substring("library/".length());
      }
    } else {
      name = registry + "/" + name;
    }
    return name + suffix();
  }

  private String suffix() {
    return (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }
}
