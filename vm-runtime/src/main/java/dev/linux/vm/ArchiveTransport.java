package dev.linux.vm;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Opens files of a package archive by URI; behind an interface so the archive logic is unit-tested. */
interface ArchiveTransport {

  /** An open download; {@code length} is -1 when unknown. */
  record Download(InputStream body, long length) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /**
   * Opens {@code uri} for reading.
   *
   * @throws FileNotFoundException when the archive has no such file (HTTP 404, missing file)
   */
  Download open(URI uri) throws IOException, InterruptedException;

  /**
   * http and https through the JDK's client (redirects followed; the {@code https_proxy} /
   * {@code http_proxy} variables honoured), and {@code file:} URIs for local mirrors.
   */
  static ArchiveTransport standard(Map<String, String> env) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20));
    proxy(env).ifPresent(builder::proxy);
    HttpClient client = builder.build();
    return uri -> {
      if ("file".equalsIgnoreCase(uri.getScheme())) {
        Path file = Path.of(uri);
        try {
          return new Download(Files.newInputStream(file), Files.size(file));
        } catch (NoSuchFileException e) {
          throw new FileNotFoundException(uri.toString());
        }
      }
      HttpRequest request =
          HttpRequest.newBuilder(uri).header("User-Agent", "linux-kernel-provisioner").GET().build();
      HttpResponse<InputStream> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw new IOException(uri + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
      }
      int status = response.statusCode();
      if (status != 200) {
        response.body().close();
        if (status == 404 || status == 410) {
          throw new FileNotFoundException(uri.toString());
        }
        throw new IOException(uri + ": HTTP status " + status);
      }
      long length = response.headers().firstValueAsLong("content-length").orElse(-1);
      return new Download(response.body(), length);
    };
  }

  private static java.util.Optional<ProxySelector> proxy(Map<String, String> env) {
    for (String name : new String[] {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"}) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        try {
          URI proxy = URI.create(value.contains("://") ? value : "http://" + value);
          if (proxy.getHost() != null) {
            int port = proxy.getPort() > 0 ? proxy.getPort() : 80;
            return java.util.Optional.of(ProxySelector.of(new InetSocketAddress(proxy.getHost(), port)));
          }
        } catch (IllegalArgumentException e) {
          // An unparsable proxy setting is ignored, as curl does.
        }
      }
    }
    return java.util.Optional.empty();
  }
}
