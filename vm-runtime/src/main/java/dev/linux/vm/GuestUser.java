package dev.linux.vm;

/**
 * A user account in the environment, as {@link GuestAgent#ensureUser(NewUser)} left it.
 *
 * @param created false when the account existed already (nothing was changed)
 * @param uid user id
 * @param gid primary group id
 * @param home home directory
 * @param shell login shell
 * @param sudo whether the user has a passwordless sudo rule in {@code /etc/sudoers.d}
 */
public record GuestUser(boolean created, int uid, int gid, String home, String shell, boolean sudo) {}
