package dev.linux.env.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A user name and secret for one registry, from {@code config.json}, a credential helper or
 * {@code linux image login}. {@link #toString()} never shows the secret.
 */
public record Credentials(String username, String secret) {

  public Credentials {
    if (username == null || secret == null) {
      throw new IllegalArgumentException("credentials need a user name and a secret");
    }
  }

  /** The value of an {@code Authorization: Basic …} header. */
  public String basicHeader() {
    return "Basic " + encoded();
  }

  /** base64 of {@code user:secret}, as {@code config.json}'s {@code auth} field holds it. */
  public String encoded() {
    return Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  /** Decodes a {@code config.json} {@code auth} field. */
  static Credentials decode(String auth, String where) {
    String text;
    try {
      text = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": 'auth' is not base64");
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(where + ": 'auth' must encode user:password");
    }
    return new Credentials(text.substring(0, colon), text.substring(colon + 1));
  }

  @Override
  public String toString() {
    return "Credentials[" + username + ", ***]";
  }
}
