package dev.linux.vm;

import java.io.IOException;

/** A VM could not be started, found or stopped; the message is one line for the user. */
public final class VmException extends IOException {
  public VmException(String message) {
    super(message);
  }

  public VmException(String message, Throwable cause) {
    super(message, cause);
  }
}
