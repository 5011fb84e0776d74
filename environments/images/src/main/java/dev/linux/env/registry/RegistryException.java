package dev.linux.env.registry;

import dev.linux.env.image.ImageException;

/**
 * A registry refused a request or could not be reached. {@link #status()} is the HTTP status, or
 * 0 when no response came; the message is one line naming the registry and what failed.
 */
public final class RegistryException extends ImageException {

  private static final long serialVersionUID = 1L;

  private final int status;

  public RegistryException(int status, String message) {
    super(message);
    this.status = status;
  }

  public RegistryException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** Whether the failure is the registry's authorisation decision (401/403). */
  public boolean isUnauthorized() {
    return status == 401 || status == 403;
  }

  /** Whether the image or blob does not exist there (404). */
  public boolean isNotFound() {
    return status == 404;
  }

  /** Whether no answer came at all (network, TLS, timeouts). */
  public boolean isUnreachable() {
    return status == 0;
  }
}
