package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageRefTest {

  private static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @ParameterizedTest
  @CsvSource({
      "debian:bookworm, docker.io, library/debian, bookworm, docker.io/library/debian:bookworm, debian:bookworm",
      "debian, docker.io, library/debian, latest, docker.io/library/debian:latest, debian:latest",
      "docker.io/debian, docker.io, library/debian, latest, docker.io/library/debian:latest, debian:latest",
      "index.docker.io/library/debian:12, docker.io, library/debian, 12, docker.io/library/debian:12, debian:12",
      "myorg/tool:1.0, docker.io, myorg/tool, 1.0, docker.io/myorg/tool:1.0, myorg/tool:1.0",
      "ghcr.io/org/name:tag, ghcr.io, org/name, tag, ghcr.io/org/name:tag, ghcr.io/org/name:tag",
      "localhost:5000/name, localhost:5000, name, latest, localhost:5000/name:latest, localhost:5000/name:latest",
      "localhost/name, localhost, name, latest, localhost/name:latest, localhost/name:latest",
      "127.0.0.1:5000/busybox, 127.0.0.1:5000, busybox, latest, 127.0.0.1:5000/busybox:latest, 127.0.0.1:5000/busybox:latest",
      "[::1]:5000/a/b:v_1, [::1]:5000, a/b, v_1, [::1]:5000/a/b:v_1, [::1]:5000/a/b:v_1",
      "reg.example.com/a.b/c__d/e--f:V1.2-rc_3, reg.example.com, a.b/c__d/e--f, V1.2-rc_3, reg.example.com/a.b/c__d/e--f:V1.2-rc_3, reg.example.com/a.b/c__d/e--f:V1.2-rc_3",
      "docker://debian:bookworm, docker.io, library/debian, bookworm, docker.io/library/debian:bookworm, debian:bookworm",
  })
  void parsesRegistryReferences(String text, String registry, String repository, String tag, String canonical,
      String familiar) {
    ImageRef ref = ImageRef.parse(text);
    assertEquals(ImageRef.Transport.REGISTRY, ref.transport());
    assertEquals(registry, ref.registry());
    assertEquals(repository, ref.repository());
    assertEquals(tag, ref.tag());
    assertNull(ref.digest());
    assertEquals(canonical, ref.toString());
    assertEquals(familiar, ref.familiarName());
    assertEquals(ref, ImageRef.parse(ref.toString()), "canonical form parses back");
  }

  @Test
  void digestWithoutTagHasNoTag() {
    ImageRef ref = ImageRef.parse("debian@sha256:" + HEX);
    assertNull(ref.tag());
    assertEquals("sha256:" + HEX, ref.digest().toString());
    assertEquals("docker.io/library/debian@sha256:" + HEX, ref.toString());
    assertEquals("debian@sha256:" + HEX, ref.familiarName());
  }

  @Test
  void tagAndDigestTogether() {
    ImageRef ref = ImageRef.parse("ghcr.io/o/n:1@sha256:" + HEX);
    assertEquals("1", ref.tag());
    assertEquals("ghcr.io/o/n:1@sha256:" + HEX, ref.toString());
  }

  @Test
  void localTransports() {
    ImageRef oci = ImageRef.parse("oci:/srv/images:debian:bookworm");
    assertEquals(ImageRef.Transport.OCI, oci.transport());
    assertEquals("/srv/images", oci.path());
    assertEquals("debian:bookworm", oci.tag());
    assertTrue(oci.isLocal());
    assertEquals("oci:/srv/images:debian:bookworm", oci.toString());

    ImageRef untagged = ImageRef.parse("oci:layout");
    assertEquals("layout", untagged.path());
    assertNull(untagged.tag());

    ImageRef archive = ImageRef.parse("oci-archive:img.tar:v1");
    assertEquals(ImageRef.Transport.OCI_ARCHIVE, archive.transport());
    assertEquals("img.tar", archive.path());
    assertEquals("v1", archive.tag());

    ImageRef docker = ImageRef.parse("docker-archive:saved.tar");
    assertEquals(ImageRef.Transport.DOCKER_ARCHIVE, docker.transport());
    assertEquals("saved.tar", docker.path());
    assertEquals("docker-archive:saved.tar", docker.toString());
  }

  @Test
  void exactMessages() {
    assertEquals("invalid image reference 'Debian': repository names must be lowercase",
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("Debian")).getMessage());
    assertEquals("invalid image reference '': empty",
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("")).getMessage());
    assertEquals("invalid image reference 'debian@sha256:abc': invalid digest 'sha256:abc': expected sha256:<64 lowercase hex digits>",
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("debian@sha256:abc")).getMessage());
    assertEquals("invalid image reference 'xyz://host/a': unsupported transport 'xyz://' (use a registry reference, docker://, oci:, oci-archive: or docker-archive:)",
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("xyz://host/a")).getMessage());
    assertEquals("invalid image reference 'oci:': missing directory after 'oci:'",
        assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("oci:")).getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      " ", "debian:", ":tag", "debian:-bad", "debian:.bad", "a//b", "a/", "/a", "-a", "a-", "a..b", "a___b", "a/B",
      "ghcr.io/Org/name", "debian@sha256:" + HEX + "0", "debian@sha512:" + HEX, "debian@", "docker://",
      "http://registry/a", "debian:bookworm ", "reg:abc/name", "ex ample/a",
      "oci-archive:", "docker-archive:", "oci:dir:bad tag",
  })
  void rejects(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(text));
    assertTrue(e.getMessage().startsWith("invalid image reference '"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }

  @Test
  void rejectsOverlongTag() {
    assertThrows(IllegalArgumentException.class, () -> ImageRef.parse("debian:x" + "y".repeat(128)));
    assertEquals("x" + "y".repeat(127), ImageRef.parse("debian:x" + "y".repeat(127)).tag());
  }

  @Test
  void rejectsOverlongName() {
    String name = "a".repeat(250) + "/b".repeat(5);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(name)).getMessage()
        .endsWith("name longer than 255 characters"));
  }

  @Test
  void constructorValidates() {
    assertThrows(IllegalArgumentException.class,
        () -> new ImageRef(ImageRef.Transport.REGISTRY, "docker.io", "Library/x", "t", null, null));
    assertEquals("latest", new ImageRef(ImageRef.Transport.REGISTRY, "docker.io", "library/x", null, null, null).tag());
  }
}
