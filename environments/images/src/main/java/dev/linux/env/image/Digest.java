package dev.linux.env.image;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code sha256:} followed by 64 lowercase hex digits: the only algorithm the
 * OCI image specification requires, and the only one accepted here.
 *
 * @param hex the 64 lowercase hex digits
 */
public record Digest(String hex) {

  private static final String PREFIX = "sha256:";
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  public Digest {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("invalid sha256 digest '" + hex + "': expected 64 lowercase hex digits");
    }
  }

  /** Parses {@code sha256:<64 hex>}. */
  public static Digest parse(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      int colon = text == null ? -1 : text.indexOf(':');
      if (colon > 0) {
        throw new IllegalArgumentException(
            "unsupported digest algorithm '" + text.substring(0, colon) + "' in '" + text + "' (only sha256 is supported)");
      }
      throw new IllegalArgumentException("invalid digest '" + text + "': expected sha256:<64 hex digits>");
    }
    String hex = text.substring(PREFIX.length());
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("invalid digest '" + text + "': expected sha256:<64 lowercase hex digits>");
    }
    return new Digest(hex);
  }

  /** The digest of {@code content}. */
  public static Digest of(byte[] content) {
    MessageDigest md = newSha256();
    return new Digest(HexFormat.of().formatHex(md.digest(content)));
  }

  /** The digest a finished {@link MessageDigest} (SHA-256) computed. */
  static Digest of(MessageDigest sha256) {
    return new Digest(HexFormat.of().formatHex(sha256.digest()));
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The algorithm name, always {@code sha256}. */
  public String algorithm() {
    return "sha256";
  }

  /** A short form for messages: {@code sha256:0123456789ab}. */
  public String shortForm() {
    return PREFIX + hex.substring(0, 12);
  }

  @Override
  public String toString() {
    return PREFIX + hex;
  }
}
