package dev.linux.cli;

import dev.linux.env.EnvironmentRecord;
import dev.linux.vm.ProcessSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes the CLI starts in a guest. The guest agent sets HOME, SHELL, USER and LOGNAME from
 * the user's passwd entry, as a login would; here come the image's {@code Env} (PATH and friends),
 * a UTF-8 locale, and what the user passed with {@code --env}.
 */
final class GuestProcesses {

  static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private GuestProcesses() {}

  /**
   * One command as {@code user}. The working directory is {@code workdir} if given, else the
   * image's {@code WorkingDir}, else the user's home.
   */
  static ProcessSpec command(EnvironmentRecord record, String user, List<String> command, List<String> extraEnv, String workdir) {
    String cwd = workdir != null ? workdir
        : record.imageDefaults().workingDir() != null ? record.imageDefaults().workingDir() : "";
    return new ProcessSpec(List.copyOf(command), environment(record, extraEnv), cwd, 0, 0, List.of(), false, 0, 0, user);
  }

  /** The user's login shell, in their home directory. */
  static ProcessSpec loginShell(EnvironmentRecord record, String user) {
    return loginShell(record, user, "");
  }

  /** The user's login shell in {@code cwd} ({@code ""}: their home). */
  static ProcessSpec loginShell(EnvironmentRecord record, String user, String cwd) {
    return command(record, user,
        List.of("/bin/sh", "-c", "if [ -x \"$SHELL\" ]; then exec \"$SHELL\" -l; else exec /bin/sh -l; fi"),
        List.of(), cwd);
  }

  static List<String> environment(EnvironmentRecord record, List<String> extraEnv) {
    List<String> env = new ArrayList<>(record.imageDefaults().env());
    if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
      env.add(DEFAULT_PATH);
    }
    if (env.stream().noneMatch(e -> e.startsWith("LANG="))) {
      env.add("LANG=C.UTF-8");
    }
    for (String entry : extraEnv) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("invalid --env '" + entry + "': expected KEY=VALUE");
      }
      env.removeIf(e -> e.startsWith(entry.substring(0, eq + 1)));
      env.add(entry);
    }
    return env;
  }
}
