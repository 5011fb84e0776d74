package dev.linux.env;

import dev.linux.share.ShareSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Changes to what an environment shares ({@code linux set --home/--share/--unshare}, {@code linux
 * create --no-home/--share}); they apply the next time it boots. Removals go first, so {@code
 * --unshare X --share X:ro} changes a share's mode. Every change is checked against the record
 * before anything is written: a bad one changes nothing.
 *
 * @param home share the host home (at the same path) or not; empty leaves it
 * @param add shares to add (validated specs)
 * @param remove host or guest paths of shares to remove; the host home's path turns it off
 */
public record ShareChanges(Optional<Boolean> home, List<ShareSpec> add, List<String> remove) {

  public ShareChanges {
    add = List.copyOf(add);
    remove = List.copyOf(remove);
  }

  public static final ShareChanges NONE = new ShareChanges(Optional.empty(), List.of(), List.of());

  public boolean isEmpty() {
    return home.isEmpty() && add.isEmpty() && remove.isEmpty();
  }

  /**
   * {@code record} with these changes applied.
   *
   * @param hostHome the host home the default share would serve (empty: none)
   * @throws EnvException INVALID_ARGUMENT naming the first bad change
   */
  public EnvironmentRecord applyTo(EnvironmentRecord record, Optional<Path> hostHome) {
    List<ShareSetting> shares = new ArrayList<>(record.shares());
    Boolean shareHome = home.isPresent() ? home.get() : record.shareHome();
    for (String path : remove) {
      List<String> forms = forms(path);
      boolean removed = shares.removeIf(s -> forms.contains(s.host()) || forms.contains(s.guest()));
      if (!removed && hostHome.isPresent() && forms.contains(hostHome.get().toString())
          && !Boolean.FALSE.equals(shareHome)) {
        shareHome = false;
        removed = true;
      }
      if (!removed) {
        throw invalid(path + " is not shared with " + record.name()
            + (shares.isEmpty() ? "" : " (shared: " + String.join(", ", shares.stream().map(ShareSetting::toString).toList()) + ")"));
      }
    }
    for (ShareSpec spec : add) {
      for (ShareSetting s : shares) {
        if (s.guest().equals(spec.guestPath())) {
          throw invalid("invalid share '" + spec + "': guest path " + spec.guestPath() + " is already shared (" + s + ")");
        }
      }
      if (!Boolean.FALSE.equals(shareHome) && hostHome.isPresent() && hostHome.get().toString().equals(spec.guestPath())) {
        throw invalid("invalid share '" + spec + "': guest path " + spec.guestPath()
            + " is the host home's (turn it off first: --home false)");
      }
      shares.add(ShareSetting.of(spec));
    }
    return record.withShareHome(shareHome).withShares(shares);
  }

  /** Applies the changes to the stored record of {@code name} under its lock. */
  EnvironmentRecord update(EnvironmentStore store, EnvName name, Optional<Path> hostHome) {
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      EnvironmentRecord updated = applyTo(store.get(name), hostHome);
      store.save(updated);
      return updated;
    }
  }

  /** An absolute path as written (normalised) and, when it exists on the host, its real path. */
  private static List<String> forms(String path) {
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      throw invalid("--unshare needs an absolute path, not " + path);
    }
    List<String> forms = new ArrayList<>(List.of(p.normalize().toString()));
    try {
      if (Files.exists(p)) {
        forms.add(p.toRealPath().toString());
      }
    } catch (java.io.IOException e) {
      // the written form alone
    }
    return forms;
  }

  private static EnvException invalid(String message) {
    return new EnvException(EnvException.Code.INVALID_ARGUMENT, message);
  }
}
