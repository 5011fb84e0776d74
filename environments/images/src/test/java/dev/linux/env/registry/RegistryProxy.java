package dev.linux.env.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-local HTTP front for a {@link LocalRegistry} on 127.0.0.1 that records requests and can
 * misbehave on purpose: demand a bearer token (and serve one at {@code /token}), cut a blob
 * download in the middle, or answer manifests with something that is not JSON.
 */
final class RegistryProxy implements AutoCloseable {

  static final String TOKEN = "test-token-42";

  private final HttpServer server;
  private final String upstream;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  /** Every request as {@code METHOD PATH [Range]}. */
  final List<String> requests = new CopyOnWriteArrayList<>();
  final Map<String, AtomicInteger> blobGets = new ConcurrentHashMap<>();

  volatile boolean requireBearer;
  /** When set, {@code /token} wants these basic credentials. */
  volatile String tokenUser;
  volatile String tokenPassword;
  /** Blob digests ({@code sha256:…}) whose first download is cut after half the bytes. */
  final Map<String, Boolean> cutOnce = new ConcurrentHashMap<>();
  volatile byte[] manifestOverride;

  RegistryProxy(String upstream) throws IOException {
    this.upstream = upstream;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.createContext("/", this::handle);
    server.start();
  }

  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String range = ex.getRequestHeaders().getFirst("Range");
      requests.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
      if (path.equals("/token")) {
        token(ex);
        return;
      }
      if (requireBearer && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        String query = path.startsWith("/v2/") && path.contains("/manifests/") ? ",scope=\"repository:x:pull\"" : "";
        ex.getResponseHeaders().add("WWW-Authenticate",
            "Bearer realm=\"http://" + address() + "/token\",service=\"test-registry\"" + query);
        ex.sendResponseHeaders(401, -1);
        return;
      }
      if (manifestOverride != null && path.contains("/manifests/")) {
        ex.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        ex.sendResponseHeaders(200, manifestOverride.length);
        ex.getResponseBody().write(manifestOverride);
        return;
      }
      forward(ex, path, range);
    }
  }

  private void token(HttpExchange ex) throws IOException {
    if (tokenUser != null) {
      String expected = "Basic " + Base64.getEncoder().encodeToString(
          (tokenUser + ":" + tokenPassword).getBytes(StandardCharsets.UTF_8));
      if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
    }
    String query = ex.getRequestURI().getQuery();
    if (query == null || !query.contains("service=test-registry") || !query.contains("scope=repository")) {
      ex.sendResponseHeaders(400, -1);
      return;
    }
    byte[] body = ("{\"token\":\"" + TOKEN + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
  }

  private void forward(HttpExchange ex, String path, String range) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()))
        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
    for (String header : List.of("Accept", "Range", "Authorization")) {
      String value = ex.getRequestHeaders().getFirst(header);
      if (value != null && !(header.equals("Authorization") && value.startsWith("Bearer"))) {
        request.header(header, value);
      }
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    int blobAt = path.indexOf("/blobs/");
    String digest = blobAt >= 0 ? path.substring(blobAt + "/blobs/".length()) : null;
    if (digest != null && ex.getRequestMethod().equals("GET")) {
      blobGets.computeIfAbsent(digest, d -> new AtomicInteger()).incrementAndGet();
    }
    response.headers().map().forEach((name, values) -> {
      if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")
          && !name.equalsIgnoreCase(":status") && !name.equalsIgnoreCase("connection")) {
        values.forEach(v -> ex.getResponseHeaders().add(name, v));
      }
    });
    long length = response.headers().firstValueAsLong("Content-Length").orElse(0);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(response.statusCode(), head || length == 0 ? -1 : length);
    try (InputStream in = response.body(); OutputStream out = ex.getResponseBody()) {
      if (digest != null && range == null && cutOnce.remove(digest) != null) {
        byte[] half = in.readNBytes((int) (length / 2));
        out.write(half);
        out.flush();
        throw new IOException("cut on purpose");
      }
      in.transferTo(out);
    }
  }

  /** GETs of one blob seen so far. */
  int blobGets(String digest) {
    AtomicInteger n = blobGets.get(digest);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
