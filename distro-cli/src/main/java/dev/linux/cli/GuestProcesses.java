package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.vm.AgentException;
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
   * Why a guest process of {@code run} or {@code enter} could not start or be followed, as the one
   * error type: a missing program or interpreter is {@code COMMAND_NOT_FOUND} (127), one that
   * cannot be executed {@code NOT_EXECUTABLE} (126); an unknown user is the guest's
   * {@code INVALID_ARGUMENT}, never "not found".
   */
  static EnvException failure(EnvName env, AgentException e) {
    String message = env + ": " + e.getMessage();
    return switch (e.code()) {
      case NOT_FOUND -> new EnvException(EnvException.Code.COMMAND_NOT_FOUND, message, e);
      case PERMISSION_DENIED -> new EnvException(EnvException.Code.NOT_EXECUTABLE, message, e);
      default -> new EnvException(ErrorReporter.translate(e).code(), message, e);
    };
  }

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
