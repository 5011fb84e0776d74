package dev.linux.env.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.Digest;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * A client of the OCI distribution API, enough to pull: manifests by tag or digest, and blobs.
 *
 * <p>Authentication follows the registry's {@code WWW-Authenticate} challenge: anonymous first;
 * on 401 either HTTP basic with the configured credentials, or a bearer token fetched from the
 * challenge's realm (with the credentials, when there are any) for the repository's pull scope.
 * Tokens are cached per registry and repository. Redirects are followed by hand so that
 * credentials never travel to another host (registries send blob downloads to storage services).
 * Requests are retried per {@link RetryPolicy}; a blob download cut in the middle continues with
 * a {@code Range} request from the bytes already on disk.
 */
public final class RegistryClient {

  /** What a manifest request sends in {@code Accept}: all four media types a pull understands. */
  public static final List<String> MANIFEST_MEDIA_TYPES = List.of(
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json");

  private static final long MAX_MANIFEST_SIZE = 4L << 20;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_REDIRECTS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A manifest or index as the registry served it. */
  public record Manifest(String mediaType, byte[] content, Digest digest) {}

  private final HttpClient http;
  private final Function<String, Optional<Credentials>> credentials;
  private final Set<String> insecure;
  private final RetryPolicy retry;
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();

  /**
   * @param credentials registry name → credentials (e.g. {@link DockerConfig#credentials})
   * @param insecure registries reached over plain HTTP although not on loopback
   */
  public RegistryClient(HttpClient http, Function<String, Optional<Credentials>> credentials, Set<String> insecure,
      RetryPolicy retry) {
    this.http = http;
    this.credentials = credentials;
    this.insecure = Set.copyOf(insecure);
    this.retry = retry;
  }

  /** An HTTP/2-capable client that leaves redirects to this class. */
  public static HttpClient newHttpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(30))
        .build();
  }

  public RegistryEndpoint endpoint(String registry) {
    return RegistryEndpoint.of(registry, insecure);
  }

  /**
   * Fetches a manifest or index by tag or digest. When {@code reference} is a digest, the content
   * must have it.
   */
  public Manifest manifest(ImageRef ref, String reference) {
    RegistryEndpoint endpoint = endpoint(ref.registry());
    URI uri = endpoint.manifest(ref.repository(), reference);
    String what = "manifest " + reference + " of " + ref.name();
    HttpResponse<InputStream> response = send(ref, uri, Map.of("Accept", String.join(", ", MANIFEST_MEDIA_TYPES)), what);
    byte[] content;
    try (InputStream in = response.body()) {
      content = in.readNBytes((int) MAX_MANIFEST_SIZE + 1);
    } catch (IOException e) {
      throw new RegistryException(0, what + ": connection lost: " + e.getMessage(), e);
    }
    if (content.length > MAX_MANIFEST_SIZE) {
      throw new ImageException(what + " is larger than " + MAX_MANIFEST_SIZE + " bytes");
    }
    Digest digest = Digest.of(content);
    if (reference.startsWith("sha256:") && !digest.toString().equals(reference)) {
      throw new ImageException(what + " is corrupt: its content has digest " + digest);
    }
    String mediaType = response.headers().firstValue("Content-Type").orElse("");
    int semicolon = mediaType.indexOf(';');
    if (semicolon >= 0) {
      mediaType = mediaType.substring(0, semicolon).strip();
    }
    return new Manifest(mediaType, content, digest);
  }

  /**
   * Downloads a blob into {@code partial}, continuing from what the file already holds, and
   * checks its size and digest. On a mismatch the file is deleted and {@link ImageException}
   * says the blob is corrupt; the caller moves the verified file into place.
   *
   * @param progress hears the number of bytes on disk so far
   */
  public void downloadBlob(ImageRef ref, Descriptor blob, Path partial, LongConsumer progress) throws IOException {
    RegistryEndpoint endpoint = endpoint(ref.registry());
    URI uri = endpoint.blob(ref.repository(), blob.digest());
    String what = "blob " + blob.digest().shortForm() + " of " + ref.name();
    MessageDigest sha256 = sha256();
    long have = 0;
    try (FileChannel file = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ)) {
      have = hashPrefix(file, sha256, blob.size());
      progress.accept(have);
      int cuts = 0;
      while (have < blob.size()) {
        Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
        HttpResponse<InputStream> response = send(ref, uri, headers, what);
        if (response.statusCode() == 200 && have > 0) {
          // The server ignored the range: start over.
          have = 0;
          sha256.reset();
          file.truncate(0);
        }
        file.position(have);
        long before = have;
        try (InputStream in = response.body()) {
          byte[] buffer = new byte[1 << 17];
          int n;
          while ((n = in.read(buffer)) >= 0) {
            if (have + n > blob.size()) {
              throw new ImageException(what + " is corrupt: longer than its declared size of " + blob.size() + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
            while (bb.hasRemaining()) {
              file.write(bb);
            }
            sha256.update(buffer, 0, n);
            have += n;
            progress.accept(have);
          }
        } catch (IOException e) {
          cuts = have > before ? 0 : cuts + 1;
          if (!retry.mayRetryAfter(cuts + 1)) {
            throw new RegistryException(0, what + ": download interrupted at " + have + " of " + blob.size()
                + " bytes: " + e.getMessage(), e);
          }
          sleep(retry.delay(cuts + 1, null));
          continue;
        }
        if (have < blob.size()) {
          cuts = have > before ? 0 : cuts + 1;
          if (!retry.mayRetryAfter(cuts + 1)) {
            throw new ImageException(what + " is corrupt: expected " + blob.size() + " bytes, the registry sent " + have);
          }
        }
      }
      // No fsync here: blobs are content-addressed and verified against their digest every time they
      // are read, so a blob torn by a crash is refused on use; index.json, which names them, is synced.
    }
    Digest actual = new Digest(HexFormat.of().formatHex(sha256.digest()));
    if (!actual.equals(blob.digest())) {
      Files.deleteIfExists(partial);
      throw new ImageException("blob " + blob.digest() + " of " + ref.name() + " is corrupt: its content has digest " + actual);
    }
  }

  /** Checks that {@code creds} are accepted by {@code registry} (for {@code linux image login}). */
  public void verifyLogin(String registry, Credentials creds) {
    RegistryEndpoint endpoint = endpoint(registry);
    HttpResponse<InputStream> first = exchange(endpoint.apiBase(), Map.of(), null, "registry " + registry);
    discard(first);
    if (first.statusCode() == 200) {
      return;
    }
    if (first.statusCode() != 401) {
      throw statusError(first, "registry " + registry);
    }
    String authorization = authorize(registry, null, challenges(first), creds, "registry " + registry);
    HttpResponse<InputStream> second = exchange(endpoint.apiBase(), Map.of(), authorization, "registry " + registry);
    discard(second);
    if (second.statusCode() != 200) {
      throw new RegistryException(second.statusCode(), "registry " + registry + " refused the credentials for "
          + creds.username() + " (HTTP " + second.statusCode() + ")");
    }
  }

  /** Sends a GET with authentication, retries and redirects; returns a 200 or 206 response. */
  private HttpResponse<InputStream> send(ImageRef ref, URI uri, Map<String, String> headers, String what) {
    String scopeKey = ref.registry() + "/" + ref.repository();
    String authorization = authorizations.get(scopeKey);
    boolean authorized = false;
    while (true) {
      HttpResponse<InputStream> response = exchange(uri, headers, authorization, what);
      int status = response.statusCode();
      if (status == 200 || status == 206) {
        return response;
      }
      if (status == 401 && !authorized) {
        discard(response);
        authorization = authorize(ref.registry(), ref.repository(), challenges(response),
            credentials.apply(ref.registry()).orElse(null), what);
        authorizations.put(scopeKey, authorization);
        authorized = true;
        continue;
      }
      throw statusError(response, what);
    }
  }

  /** One logical request: retried on transient failures, redirects followed without credentials. */
  private HttpResponse<InputStream> exchange(URI uri, Map<String, String> headers, String authorization, String what) {
    URI target = uri;
    String auth = authorization;
    for (int redirects = 0; ; redirects++) {
      HttpResponse<InputStream> response = withRetries(target, headers, auth, what);
      int status = response.statusCode();
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        return response;
      }
      discard(response);
      String location = response.headers().firstValue("Location").orElse(null);
      if (location == null || redirects >= MAX_REDIRECTS) {
        throw new RegistryException(status, what + ": bad redirect from " + target.getHost());
      }
      URI next = target.resolve(location);
      if (!next.getHost().equalsIgnoreCase(target.getHost()) || next.getPort() != target.getPort()) {
        auth = null;
      }
      if (target.getScheme().equals("https") && next.getScheme().equals("http")) {
        throw new RegistryException(status, what + ": refusing a redirect from HTTPS to plain HTTP");
      }
      target = next;
    }
  }

  private HttpResponse<InputStream> withRetries(URI uri, Map<String, String> headers, String authorization, String what) {
    for (int attempt = 1; ; attempt++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(REQUEST_TIMEOUT)
          .header("User-Agent", "linux-image-client");
      if (uri.getScheme().equals("http")) {
        request.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance on plain connections
      }
      headers.forEach(request::header);
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        if (!retry.mayRetryAfter(attempt)) {
          String reason = e instanceof HttpTimeoutException ? "timed out" : e.getMessage() == null
              ? e.getClass().getSimpleName() : e.getMessage();
          throw new RegistryException(0, what + ": cannot reach " + uri.getAuthority() + ": " + reason, e);
        }
        sleep(retry.delay(attempt, null));
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(0, what + ": interrupted", e);
      }
      if (retry.isRetryable(response.statusCode()) && retry.mayRetryAfter(attempt)) {
        discard(response);
        sleep(retry.delay(attempt, response.headers().firstValue("Retry-After").orElse(null)));
        continue;
      }
      return response;
    }
  }

  /** Answers a 401: the {@code Authorization} header value to send from now on. */
  private String authorize(String registry, String repository, List<AuthChallenge> challenges, Credentials creds,
      String what) {
    for (AuthChallenge challenge : challenges) {
      if (challenge.scheme().equals("bearer") && challenge.param("realm") != null) {
        return "Bearer " + token(registry, repository, challenge, creds, what);
      }
    }
    for (AuthChallenge challenge : challenges) {
      if (challenge.scheme().equals("basic")) {
        if (creds == null) {
          throw new RegistryException(401, what + ": registry " + registry
              + " requires authentication (linux image login " + registry + ")");
        }
        return creds.basicHeader();
      }
    }
    throw new RegistryException(401, what + ": registry " + registry + " requires authentication with a scheme this"
        + " client does not support");
  }

  private String token(String registry, String repository, AuthChallenge challenge, Credentials creds, String what) {
    StringBuilder query = new StringBuilder();
    if (challenge.param("service") != null) {
      query.append("service=").append(URLEncoder.encode(challenge.param("service"), StandardCharsets.UTF_8));
    }
    String scope = repository != null ? "repository:" + repository + ":pull" : challenge.param("scope");
    if (scope != null) {
      query.append(query.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    }
    URI realm;
    try {
      realm = URI.create(challenge.param("realm"));
      if (!"https".equals(realm.getScheme()) && !("http".equals(realm.getScheme())
          && RegistryEndpoint.isLoopback(realm.getAuthority()) || insecure.contains(realm.getAuthority()))) {
        throw new RegistryException(401, what + ": token realm " + realm + " is not HTTPS");
      }
      if (!query.isEmpty()) {
        realm = URI.create(realm + (realm.getQuery() == null ? "?" : "&") + query);
      }
    } catch (IllegalArgumentException e) {
      throw new RegistryException(401, what + ": registry " + registry + " sent a malformed token realm");
    }
    HttpResponse<InputStream> response = exchange(realm, Map.of(), creds == null ? null : creds.basicHeader(),
        "token for " + registry);
    if (response.statusCode() != 200) {
      RegistryException e = statusError(response, "token for " + registry);
      throw new RegistryException(e.status(), what + ": " + (creds == null ? "anonymous" : creds.username())
          + " is not authorised by " + registry + "'s token service (HTTP " + e.status() + ")");
    }
    try (InputStream in = response.body()) {
      JsonNode node = JSON.readTree(in.readNBytes(1 << 20));
      String token = node == null ? "" : node.path("token").asText(node.path("access_token").asText(""));
      if (token.isEmpty()) {
        throw new RegistryException(401, what + ": " + registry + "'s token service answered without a token");
      }
      return token;
    } catch (IOException e) {
      throw new RegistryException(401, what + ": " + registry + "'s token service answered with malformed JSON");
    }
  }

  private static List<AuthChallenge> challenges(HttpResponse<?> response) {
    return response.headers().allValues("WWW-Authenticate").stream().flatMap(h -> AuthChallenge.parse(h).stream())
        .toList();
  }

  private static RegistryException statusError(HttpResponse<InputStream> response, String what) {
    int status = response.statusCode();
    String detail = errorDetail(response);
    String meaning = switch (status) {
      case 401 -> "authentication failed";
      case 403 -> "access denied";
      case 404 -> "not found";
      case 429 -> "too many requests";
      default -> "HTTP " + status;
    };
    return new RegistryException(status, what + ": " + meaning + (detail.isEmpty() ? "" : " (" + detail + ")"));
  }

  /** The first message of a distribution-spec error body, if there is one. */
  private static String errorDetail(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      byte[] body = in.readNBytes(64 << 10);
      JsonNode errors = JSON.readTree(body).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        JsonNode first = errors.get(0);
        String code = first.path("code").asText("");
        String message = first.path("message").asText("");
        return (code + (message.isEmpty() ? "" : ": " + message)).strip();
      }
    } catch (IOException | RuntimeException e) {
      // not a JSON error body
    }
    return "";
  }

  private static void discard(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException e) {
      // the connection is gone; nothing to drain
    }
  }

  private static long hashPrefix(FileChannel file, MessageDigest sha256, long size) throws IOException {
    long have = file.size();
    if (have > size) {
      file.truncate(0);
      return 0;
    }
    ByteBuffer buffer = ByteBuffer.allocate(1 << 17);
    long read = 0;
    file.position(0);
    while (read < have) {
      buffer.clear();
      int n = file.read(buffer);
      if (n < 0) {
        break;
      }
      sha256.update(buffer.array(), 0, n);
      read += n;
    }
    return read;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(0, "interrupted while waiting to retry", e);
    }
  }
}
