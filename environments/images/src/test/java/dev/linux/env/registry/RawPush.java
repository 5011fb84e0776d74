package dev.linux.env.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.OciLayout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes one image manifest of a layout to a registry through the distribution API, byte for
 * byte (skopeo compresses uncompressed layers on the way to a registry; this does not).
 */
final class RawPush {

  private RawPush() {}

  static void push(OciLayout layout, String tag, String address, String repository, String destTag)
      throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    Descriptor manifest = layout.manifests().stream().filter(d -> tag.equals(d.refName())).findFirst().orElseThrow();
    JsonNode json = new ObjectMapper().readTree(layout.blobPath(manifest.digest()).toFile());
    List<JsonNode> blobs = new ArrayList<>();
    blobs.add(json.path("config"));
    json.path("layers").forEach(blobs::add);
    for (JsonNode blob : blobs) {
      String digest = blob.path("digest").asText();
      HttpResponse<Void> start = http.send(HttpRequest.newBuilder(
              URI.create("http://" + address + "/v2/" + repository + "/blobs/uploads/"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      String location = start.headers().firstValue("Location").orElseThrow();
      URI upload = URI.create("http://" + address + "/").resolve(location);
      URI put = URI.create(upload + (upload.getQuery() == null ? "?" : "&") + "digest=" + digest);
      HttpResponse<String> done = http.send(HttpRequest.newBuilder(put)
          .header("Content-Type", "application/octet-stream")
          .PUT(HttpRequest.BodyPublishers.ofFile(layout.blobPath(dev.linux.env.image.Digest.parse(digest))))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (done.statusCode() != 201) {
        throw new IOException("blob upload failed: " + done.statusCode() + " " + done.body());
      }
    }
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(
            URI.create("http://" + address + "/v2/" + repository + "/manifests/" + destTag))
        .header("Content-Type", manifest.mediaType())
        .PUT(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(layout.blobPath(manifest.digest()))))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (put.statusCode() != 201) {
      throw new IOException("manifest upload failed: " + put.statusCode() + " " + put.body());
    }
  }
}
