package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AptSourcesTest {
  @TempDir Path etc;

  @Test
  void oneLineFormatWithOptionsAndComments() {
    List<AptSources.Source> s = AptSources.parseList("""
        # a comment
        deb http://mirror.example.org/debian bookworm main contrib  # trailing comment
        deb-src http://mirror.example.org/debian bookworm main
        deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/k.gpg] https://mirror.test/debian/ trixie main
        deb [ trusted=yes ] file:/srv/mirror stable main
        #deb http://disabled.test/debian bookworm main
        deb cdrom:[Debian GNU/Linux 12]/ bookworm main
        deb http://flat.test/repo ./
        deb [arch=amd64
        """);
    assertEquals(3, s.size(), s.toString());
    assertEquals(URI.create("http://mirror.example.org/debian/"), s.get(0).uri());
    assertEquals("bookworm", s.get(0).suite());
    assertEquals(List.of("main", "contrib"), s.get(0).components());
    assertEquals(URI.create("http://mirror.example.org/debian/dists/bookworm/"), s.get(0).dists());
    assertEquals(List.of("amd64", "arm64"), s.get(1).architectures());
    assertEquals(Optional.of(Path.of("/usr/share/keyrings/k.gpg")), s.get(1).signedBy());
    assertEquals(URI.create("https://mirror.test/debian/dists/trixie/"), s.get(1).dists());
    assertEquals(URI.create("file:/srv/mirror/"), s.get(2).uri());
  }

  @Test
  void deb822FormatExpandsUrisAndSuites() {
    List<AptSources.Source> s = AptSources.parseDeb822("""
        Types: deb deb-src
        # http://snapshot.example.org/archive/debian/20250520T000000Z
        URIs: http://mirror.example.org/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb-src
        URIs: http://mirror.example.org/debian
        Suites: bookworm
        Components: main

        Types: deb
        URIs: http://off.test/debian
        Suites: bookworm
        Components: main
        Enabled: no

        Types: deb
        URIs: https://a.test/debian https://b.test/debian
        Suites: trixie
        Components: main non-free-firmware
        Architectures: arm64
        Signed-By:
         -----BEGIN PGP PUBLIC KEY BLOCK-----
         .
         mQINBGPL
         -----END PGP PUBLIC KEY BLOCK-----
        """);
    assertEquals(List.of("http://mirror.example.org/debian/ bookworm", "http://mirror.example.org/debian/ bookworm-updates",
        "https://a.test/debian/ trixie", "https://b.test/debian/ trixie"), s.stream().map(Object::toString).toList());
    assertEquals(Optional.of(Path.of("/usr/share/keyrings/debian-archive-keyring.gpg")), s.get(0).signedBy());
    assertEquals(Optional.empty(), s.get(2).signedBy(), "an inline key is not a file");
    assertEquals(List.of("arm64"), s.get(3).architectures());
    assertEquals(List.of("main", "non-free-firmware"), s.get(3).components());
  }

  @Test
  void readsSourcesListAndTheDirectoryInOrder() throws Exception {
    Files.writeString(etc.resolve("sources.list"), "deb http://one.test/debian bookworm main\n");
    Path d = Files.createDirectories(etc.resolve("sources.list.d"));
    Files.writeString(d.resolve("b.sources"), "Types: deb\nURIs: http://three.test/debian\nSuites: x\nComponents: main\n");
    Files.writeString(d.resolve("a.list"), "deb http://two.test/debian bookworm main\n");
    Files.writeString(d.resolve("c.list.disabled"), "deb http://no.test/debian bookworm main\n");
    Files.writeString(d.resolve("d.sources.save"), "Types: deb\nURIs: http://no.test/d\nSuites: x\nComponents: main\n");
    List<String> hosts = AptSources.read(etc).stream().map(s -> s.uri().getHost()).toList();
    assertEquals(List.of("one.test", "two.test", "three.test"), hosts);
  }

  @Test
  void noAptAtAllIsNoSources() throws Exception {
    assertTrue(AptSources.read(etc.resolve("missing")).isEmpty());
  }
}
