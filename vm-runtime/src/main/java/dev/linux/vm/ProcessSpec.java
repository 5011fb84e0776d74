package dev.linux.vm;

import java.util.List;
import java.util.Objects;

/**
 * A process to start in the environment.
 *
 * @param args argv; argv[0] is looked up in PATH when it has no slash
 * @param env the whole environment, KEY=VALUE entries
 * @param cwd working directory in the environment; empty means the agent's default
 * @param uid user id
 * @param gid group id
 * @param groups supplementary group ids
 * @param tty run on a pty (stdout carries the merged terminal output) instead of pipes
 * @param rows initial terminal rows (tty only)
 * @param cols initial terminal columns (tty only)
 * @param user run as this user instead of uid/gid/groups: {@code NAME}, {@code NAME:GROUP},
 *     {@code UID} or {@code UID:GID}, resolved in the environment's {@code /etc/passwd} and {@code
 *     /etc/group}; a named user gets its supplementary groups and HOME, SHELL, USER and LOGNAME
 *     (unless {@code env} sets them), and an empty {@code cwd} means its home. Empty: use uid/gid.
 */
public record ProcessSpec(
    List<String> args,
    List<String> env,
    String cwd,
    int uid,
    int gid,
    List<Integer> groups,
    boolean tty,
    int rows,
    int cols,
    String user) {

  public ProcessSpec {
    args = List.copyOf(Objects.requireNonNull(args, "args"));
    if (args.isEmpty()) {
      throw new IllegalArgumentException("a process needs at least argv[0]");
    }
    env = List.copyOf(Objects.requireNonNull(env, "env"));
    cwd = Objects.requireNonNullElse(cwd, "");
    groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
    if (uid < 0 || gid < 0 || groups.stream().anyMatch(g -> g < 0)) {
      throw new IllegalArgumentException("uid, gid and groups must not be negative");
    }
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("rows and cols must not be negative");
    }
    user = Objects.requireNonNullElse(user, "");
  }

  /** The spec without a user name: the process runs as {@code uid}/{@code gid}/{@code groups}. */
  public ProcessSpec(
      List<String> args,
      List<String> env,
      String cwd,
      int uid,
      int gid,
      List<Integer> groups,
      boolean tty,
      int rows,
      int cols) {
    this(args, env, cwd, uid, gid, groups, tty, rows, cols, "");
  }

  /** This spec run as {@code user} (see {@link #user()}). */
  public ProcessSpec withUser(String user) {
    return new ProcessSpec(args, env, cwd, uid, gid, groups, tty, rows, cols, user);
  }

  /** This spec on a pty of the given size (0 keeps the agent's default of 24x80). */
  public ProcessSpec withTty(int rows, int cols) {
    return new ProcessSpec(args, env, cwd, uid, gid, groups, true, rows, cols, user);
  }

  /** A process run as root with pipes, no environment and the default directory. */
  public static ProcessSpec of(String... args) {
    return new ProcessSpec(List.of(args), List.of(), "", 0, 0, List.of(), false, 0, 0, "");
  }
}
