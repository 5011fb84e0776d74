package dev.linux.env.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} on 127.0.0.1 with a free port and its own storage directory,
 * optionally behind htpasswd basic auth. Images are pushed to it with {@code skopeo copy}.
 */
final class LocalRegistry implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/docker-registry");

  private final Process process;
  private final Path dir;
  final int port;

  private LocalRegistry(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  static boolean available() {
    return Files.isExecutable(BINARY) && Files.isExecutable(Path.of("/usr/bin/skopeo"));
  }

  /** @param htpasswd an htpasswd line ({@code user:bcrypt}) or null for no authentication */
  static LocalRegistry start(Path dir, String htpasswd) throws IOException, InterruptedException {
    int port = freePort();
    StringBuilder config = new StringBuilder()
        .append("version: 0.1\n")
        .append("log:\n  level: warn\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append('\n')
        .append("  delete:\n    enabled: true\n")
        .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
    if (htpasswd != null) {
      Files.writeString(dir.resolve("htpasswd"), htpasswd + "\n");
      config.append("auth:\n  htpasswd:\n    realm: test\n    path: ").append(dir.resolve("htpasswd")).append('\n');
    }
    Path yml = dir.resolve("config.yml");
    Files.writeString(yml, config);
    Process process = new ProcessBuilder(BINARY.toString(), "serve", yml.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry registry = new LocalRegistry(process, dir, port);
    registry.awaitReady();
    return registry;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  Path storage() {
    return dir.resolve("storage");
  }

  /** The file holding a blob's data in the registry's storage. */
  Path blobData(String hex) {
    return storage().resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
  }

  /** Pushes {@code oci:LAYOUT:TAG} to {@code NAME} here; extra skopeo options before the source. */
  void push(Path layout, String tag, String name, List<String> options) throws IOException, InterruptedException {
    push("oci:" + layout + ":" + tag, address(), name, options);
  }

  static void push(String source, String address, String name, List<String> options)
      throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false"));
    command.addAll(options);
    command.add(source);
    command.add("docker://" + address + "/" + name);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("skopeo copy failed: " + command + "\n" + out);
    }
  }

  private void awaitReady() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + address() + "/v2/"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200 || r.statusCode() == 401) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IOException("docker-registry did not start listening within 20 s");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
