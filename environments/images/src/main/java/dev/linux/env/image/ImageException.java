package dev.linux.env.image;

/**
 * An image, layout or layer cannot be read or applied: a missing or corrupt blob, malformed JSON,
 * an unsupported media type or an unsafe tar entry. The message is one line that names the
 * offending blob, tag or entry, fit to be shown to a user as is.
 */
public class ImageException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ImageException(String message) {
    super(message);
  }

  public ImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
