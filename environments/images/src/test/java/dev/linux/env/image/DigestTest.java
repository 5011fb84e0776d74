package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestTest {

  private static final byte[] HELLO = "hello\n".getBytes(StandardCharsets.UTF_8);
  private static final String HELLO_DIGEST = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

  @Test
  void digestOfBytes() {
    assertEquals(HELLO_DIGEST, Digest.of(HELLO).toString());
    assertEquals(Digest.of(HELLO), Digest.parse(HELLO_DIGEST));
    assertEquals("sha256:5891b5b522d5", Digest.of(HELLO).shortForm());
  }

  @Test
  void parseRejects() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + "A".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:abc"));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha512:abc")).getMessage()
        .contains("unsupported digest algorithm 'sha512'"));
    assertThrows(IllegalArgumentException.class, () -> new Digest(null));
  }

  @Test
  void verifyingStreamPassesMatchingContent() throws Exception {
    try (var in = new DigestVerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.of(HELLO), HELLO.length, "blob x")) {
      assertArrayEquals(HELLO, in.readAllBytes());
      assertEquals(HELLO.length, in.count());
    }
  }

  @Test
  void verifyingStreamRejectsWrongDigest() {
    var in = new DigestVerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.of(new byte[0]), HELLO.length, "blob x");
    ImageException e = assertThrows(ImageException.class, in::readAllBytes);
    assertEquals("blob x is corrupt: its content has digest " + HELLO_DIGEST, e.getMessage());
    assertThrows(ImageException.class, in::read, "keeps failing");
  }

  @Test
  void verifyingStreamRejectsWrongSize() {
    var shorter = new DigestVerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.of(HELLO), 7, "blob x");
    assertEquals("blob x is corrupt: expected 7 bytes, found 6",
        assertThrows(ImageException.class, shorter::readAllBytes).getMessage());
    var longer = new DigestVerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.of(HELLO), 5, "blob x");
    assertTrue(assertThrows(ImageException.class, longer::readAllBytes).getMessage().contains("longer than"));
  }
}
