package dev.linux.vm;

import java.util.Objects;

/**
 * A user account to create in the environment with {@link GuestAgent#ensureUser(NewUser)}.
 *
 * @param name login name
 * @param uid user id (not 0)
 * @param gid primary group id (not 0); a group named like the user is created unless one with
 *     this gid exists
 * @param shell login shell; empty: the image's default ({@code /etc/default/useradd} SHELL, else
 *     {@code /bin/bash} when present, else {@code /bin/sh})
 * @param home home directory; empty: {@code /home/NAME}
 * @param sudo grant passwordless sudo (when sudo is installed)
 * @param gecos the full-name field
 */
public record NewUser(String name, int uid, int gid, String shell, String home, boolean sudo, String gecos) {
  public NewUser {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a user needs a name");
    }
    if (uid <= 0 || gid <= 0) {
      throw new IllegalArgumentException("uid and gid must be positive");
    }
    shell = Objects.requireNonNullElse(shell, "");
    home = Objects.requireNonNullElse(home, "");
    gecos = Objects.requireNonNullElse(gecos, "");
  }

  /** The host user's twin: default shell and home, passwordless sudo. */
  public static NewUser of(String name, int uid, int gid) {
    return new NewUser(name, uid, gid, "", "", true, "");
  }
}
