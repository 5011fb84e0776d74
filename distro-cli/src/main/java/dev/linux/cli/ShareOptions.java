package dev.linux.cli;

import dev.linux.env.ShareChanges;
import dev.linux.share.ShareSpec;
import java.util.List;
import java.util.Optional;

/** The share options of {@code create} and {@code set}, parsed before anything changes. */
final class ShareOptions {

  private ShareOptions() {}

  /**
   * Checks and collects the options; a bad share fails with one line (exit status 2).
   *
   * @param home {@code --home} / {@code --no-home}, or null
   * @param shares {@code --share HOST[:GUEST][:ro]} values
   * @param unshares {@code --unshare PATH} values
   */
  static ShareChanges changes(Boolean home, List<String> shares, List<String> unshares) {
    List<ShareSpec> add = shares.stream().map(ShareSpec::parse).toList();
    for (int i = 0; i < add.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (add.get(i).guestPath().equals(add.get(j).guestPath())) {
          throw new IllegalArgumentException("invalid share '" + shares.get(i) + "': guest path "
              + add.get(i).guestPath() + " is given twice");
        }
      }
    }
    for (String path : unshares) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("--unshare needs an absolute path, not " + path);
      }
    }
    return new ShareChanges(Optional.ofNullable(home), add, unshares);
  }
}
