package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReleaseFileTest {
  @Test
  void parsesAClearSignedInRelease() throws Exception {
    String body = """
        Origin: Debian
        Codename: bookworm
        Architectures: all amd64 arm64
        Components: main contrib
        MD5Sum:
         0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
        SHA256:
         515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 main/binary-amd64/Packages
         9E0B5AABB2465B3D2E7A7FE27F9913846277833F7A2826E7767ACCCFF5B588C5  8790396 main/binary-amd64/Packages.xz
        -Dashed: line
        """;
    String signed = new String(FakeArchive.clearSign(body), StandardCharsets.UTF_8);
    assertTrue(signed.contains("\n- -Dashed: line\n"));
    assertEquals(body, ReleaseFile.clearSignedBody(signed));
    ReleaseFile r = ReleaseFile.parse(signed, "t");
    assertEquals(List.of("all", "amd64", "arm64"), r.architectures());
    assertEquals(List.of("main", "contrib"), r.components());
    assertEquals(Optional.of(new ReleaseFile.Checksum(
        "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5", 8790396)),
        r.checksum("main/binary-amd64/Packages.xz"));
    assertEquals(Optional.empty(), r.checksum("contrib/Contents-all"), "MD5 is not trusted");
  }

  @Test
  void aReleaseWithoutSha256IsRefused() {
    var e = assertThrows(IOException.class, () -> ReleaseFile.parse("Origin: x\nMD5Sum:\n a 1 b\n", "t"));
    assertEquals("t: the Release file lists no SHA256 checksums", e.getMessage());
    assertThrows(IOException.class, () -> ReleaseFile.parse("-----BEGIN PGP SIGNED MESSAGE-----\n\nA: b\n", "t"));
  }

  @Test
  void packagesParagraphsKeepMultiLineFields() throws Exception {
    List<ControlStanza> all = ControlStanza.parseAll("""
        Package: a
        Description: short
         long line
         .
         after

        package: b
        VERSION: 2
        """);
    assertEquals(2, all.size());
    assertEquals("short\nlong line\n\nafter", all.get(0).value("Description"));
    assertEquals("2", all.get(1).value("Version"), "field names are case-insensitive");
    assertThrows(java.io.UncheckedIOException.class, () -> ControlStanza.parseAll("not a field line\n"));
  }
}
