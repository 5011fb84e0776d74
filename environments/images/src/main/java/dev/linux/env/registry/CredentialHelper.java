package dev.linux.env.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks a docker credential helper ({@code docker-credential-NAME get}, the server URL on its
 * standard input, {@code {"Username":…,"Secret":…}} on its output) for a registry's credentials.
 */
public interface CredentialHelper {

  /** Empty when the helper has none for {@code server}. */
  Optional<Credentials> get(String helper, String server);

  /** Runs the helper programs found on {@code PATH}. */
  static CredentialHelper system() {
    return (helper, server) -> {
      String program = "docker-credential-" + helper;
      Process process;
      try {
        process = new ProcessBuilder(program, "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
      } catch (IOException e) {
        throw new RegistryException(0, "credential helper " + program + " cannot be run: " + e.getMessage(), e);
      }
      try {
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
          try {
            return process.getInputStream().readAllBytes();
          } catch (IOException e) {
            return new byte[0];
          }
        });
        try (OutputStream in = process.getOutputStream()) {
          in.write(server.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new RegistryException(0, "credential helper " + program + " did not answer within 30 s");
        }
        String text = new String(out.join(), StandardCharsets.UTF_8).strip();
        if (process.exitValue() != 0) {
          if (text.toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
            return Optional.empty();
          }
          throw new RegistryException(0, "credential helper " + program + " failed with exit status "
              + process.exitValue() + (text.isEmpty() ? "" : ": " + text.lines().findFirst().orElse("")));
        }
        return parse(text, program);
      } catch (IOException e) {
        throw new RegistryException(0, "credential helper " + program + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new RegistryException(0, "interrupted while running " + program, e);
      }
    };
  }

  /** Parses a helper's answer. */
  static Optional<Credentials> parse(String json, String program) {
    try {
      JsonNode node = new ObjectMapper().readTree(json);
      if (node == null || !node.path("Secret").isTextual()) {
        throw new RegistryException(0, "credential helper " + program + " answered without a Secret");
      }
      return Optional.of(new Credentials(node.path("Username").asText(""), node.path("Secret").asText()));
    } catch (IOException e) {
      throw new RegistryException(0, "credential helper " + program + " answered with malformed JSON");
    }
  }
}
