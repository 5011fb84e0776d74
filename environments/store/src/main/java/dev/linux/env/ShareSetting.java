package dev.linux.env;

import dev.linux.share.ShareSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One shared directory as the record stores it: plain strings, so a record still reads when the
 * host directory has gone (a boot then skips that share with a warning). {@link #spec()} validates.
 *
 * @param host the host directory (absolute, as resolved when it was added)
 * @param guest where the environment sees it (absolute)
 * @param readOnly whether the environment may only read it
 */
public record ShareSetting(String host, String guest, boolean readOnly) {

  public ShareSetting {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(guest, "guest");
  }

  public static ShareSetting of(ShareSpec spec) {
    return new ShareSetting(spec.hostPath().toString(), spec.guestPath(), spec.readOnly());
  }

  /** The validated share; fails with a one-line message when the host directory is gone. */
  public ShareSpec spec() {
    return new ShareSpec(Path.of(host), guest, readOnly);
  }

  /** {@code HOST:GUEST[:ro]}, as {@code --share} takes it. */
  @Override
  public String toString() {
    return host + ":" + guest + (readOnly ? ":ro" : "");
  }
}
