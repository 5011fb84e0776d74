package dev.linux.vm;

import java.util.Objects;

/**
 * The accelerator to use and a one-line notice saying how it was chosen (what was tried and why it
 * was passed over), suitable to show the user when it is not the fast path.
 */
public record AcceleratorChoice(Accelerator accelerator, String notice) {
  public AcceleratorChoice {
    Objects.requireNonNull(accelerator, "accelerator");
    Objects.requireNonNull(notice, "notice");
  }
}
