package dev.linux.env.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.image.Digest;
import dev.linux.env.image.ImageRef;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryUnitTest {

  @TempDir Path dir;

  @Test
  void parsesBearerAndBasicChallenges() {
    List<AuthChallenge> c = AuthChallenge.parse(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/debian:pull\"");
    assertEquals(1, c.size());
    assertEquals("bearer", c.get(0).scheme());
    assertEquals("https://auth.docker.io/token", c.get(0).param("realm"));
    assertEquals("registry.docker.io", c.get(0).param("service"));
    assertEquals("repository:library/debian:pull", c.get(0).param("scope"));

    List<AuthChallenge> two = AuthChallenge.parse("Basic realm=\"Registry Realm\", Bearer realm=\"https://x/t\" , service=s");
    assertEquals(2, two.size(), two.toString());
    assertEquals("basic", two.get(0).scheme());
    assertEquals("Registry Realm", two.get(0).param("realm"));
    assertEquals("https://x/t", two.get(1).param("realm"));
    assertEquals("s", two.get(1).param("service"));

    assertEquals("a\"b", AuthChallenge.parse("Bearer realm=\"a\\\"b\"").get(0).param("realm"));
    assertTrue(AuthChallenge.parse(null).isEmpty());
    assertTrue(AuthChallenge.parse("").isEmpty());
    assertEquals("basic", AuthChallenge.parse("BASIC").get(0).scheme());
  }

  @Test
  void readsDockerConfigAuthsAndHelpers() throws IOException {
    Files.writeString(dir.resolve("config.json"), """
        {"auths": {
           "https://index.docker.io/v1/": {"auth": "%s"},
           "127.0.0.1:5000": {"username": "u", "password": "p"},
           "http://ghcr.io/v2/": {"auth": "%s"}},
         "credHelpers": {"quay.io": "fake"},
         "credsStore": "store",
         "HttpHeaders": {"X": "kept"}}
        """.formatted(new Credentials("hub", "hubpw").encoded(), new Credentials("gh", "ghpw").encoded()));
    CredentialHelper helpers = (helper, server) ->
        helper.equals("fake") ? Optional.of(new Credentials("q", server)) : Optional.empty();
    DockerConfig config = DockerConfig.load(dir, helpers);
    assertEquals(new Credentials("hub", "hubpw"), config.credentials("docker.io").orElseThrow());
    assertEquals(new Credentials("u", "p"), config.credentials("127.0.0.1:5000").orElseThrow());
    assertEquals(new Credentials("gh", "ghpw"), config.credentials("ghcr.io").orElseThrow());
    assertEquals(new Credentials("q", "quay.io"), config.credentials("quay.io").orElseThrow());
    assertTrue(config.credentials("other.example").isEmpty()); // credsStore asked, had none

    config.login("127.0.0.1:5000", new Credentials("new", "pw2"));
    DockerConfig again = DockerConfig.load(dir, helpers);
    assertEquals(new Credentials("new", "pw2"), again.credentials("127.0.0.1:5000").orElseThrow());
    assertTrue(Files.readString(dir.resolve("config.json")).contains("\"kept\""));
    assertTrue(again.logout("127.0.0.1:5000"));
    assertFalse(again.logout("127.0.0.1:5000"));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("config.json"))));
  }

  @Test
  void missingConfigIsEmptyAndBadConfigIsOneLine() throws IOException {
    assertTrue(DockerConfig.load(dir.resolve("none"), CredentialHelper.system()).credentials("docker.io").isEmpty());
    Files.writeString(dir.resolve("config.json"), "{not json");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DockerConfig.load(dir, CredentialHelper.system()));
    assertTrue(e.getMessage().contains("config.json is malformed JSON"), e.getMessage());
    Files.writeString(dir.resolve("config.json"), "{\"auths\":{\"x.io\":{\"auth\":\"!!!\"}}}");
    assertThrows(IllegalArgumentException.class, () -> DockerConfig.load(dir, CredentialHelper.system()).credentials("x.io"));
  }

  @Test
  void credentialHelperAnswersAreParsed() {
    assertEquals(new Credentials("u", "s"),
        CredentialHelper.parse("{\"ServerURL\":\"x\",\"Username\":\"u\",\"Secret\":\"s\"}", "docker-credential-t").orElseThrow());
    assertThrows(RegistryException.class, () -> CredentialHelper.parse("nope", "docker-credential-t"));
    assertEquals("Credentials[u, ***]", new Credentials("u", "secret").toString());
  }

  @Test
  void mapsReferencesToUrls() {
    Digest d = Digest.of(new byte[0]);
    RegistryEndpoint hub = RegistryEndpoint.of("docker.io", Set.of());
    ImageRef debian = ImageRef.parse("debian:bookworm");
    assertEquals(URI.create("https://registry-1.docker.io/v2/library/debian/manifests/bookworm"),
        hub.manifest(debian.repository(), debian.tag()));
    assertEquals(URI.create("https://registry-1.docker.io/v2/library/debian/blobs/" + d), hub.blob("library/debian", d));
    assertEquals(URI.create("https://ghcr.io/v2/org/name/manifests/v1"),
        RegistryEndpoint.of("ghcr.io", Set.of()).manifest("org/name", "v1"));
    assertEquals(URI.create("http://127.0.0.1:5000/v2/"), RegistryEndpoint.of("127.0.0.1:5000", Set.of()).apiBase());
    assertEquals("http", RegistryEndpoint.of("localhost:5000", Set.of()).base().getScheme());
    assertEquals("http", RegistryEndpoint.of("[::1]:5000", Set.of()).base().getScheme());
    assertEquals("http", RegistryEndpoint.of("127.8.9.10", Set.of()).base().getScheme());
    assertEquals("https", RegistryEndpoint.of("128.0.0.1:5000", Set.of()).base().getScheme());
    assertEquals("https", RegistryEndpoint.of("127.0.0.1.example.com", Set.of()).base().getScheme());
    assertEquals("http", RegistryEndpoint.of("build.lan:5000", Set.of("build.lan:5000")).base().getScheme());
  }

  @Test
  void retryPolicy() {
    RetryPolicy p = new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1));
    for (int status : new int[] {0, 408, 429, 500, 502, 503, 504}) {
      assertTrue(p.isRetryable(status), "status " + status);
    }
    for (int status : new int[] {200, 400, 401, 403, 404, 416, 501, 505}) {
      assertFalse(p.isRetryable(status), "status " + status);
    }
    assertEquals(Duration.ofMillis(100), p.delay(1, null));
    assertEquals(Duration.ofMillis(200), p.delay(2, null));
    assertEquals(Duration.ofMillis(400), p.delay(3, null));
    assertEquals(Duration.ofSeconds(1), p.delay(10, null));
    assertEquals(Duration.ofSeconds(1), p.delay(1, "1"));
    assertEquals(Duration.ofMillis(100), p.delay(1, "3600")); // longer than the cap: ignored
    assertEquals(Duration.ofMillis(100), p.delay(1, "Wed, 21 Oct 2015 07:28:00 GMT"));
    assertTrue(p.mayRetryAfter(3));
    assertFalse(p.mayRetryAfter(4));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO));
  }

  @Test
  void normalizesConfigKeys() {
    assertEquals("docker.io", DockerConfig.normalize("https://index.docker.io/v1/"));
    assertEquals("h:5000", DockerConfig.normalize("http://h:5000/v2/"));
    assertEquals(DockerConfig.DOCKER_HUB_KEY, DockerConfig.serverKey("docker.io"));
    assertEquals(Map.of(), Map.of());
  }
}
