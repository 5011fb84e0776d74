package dev.linux.cli;

import dev.linux.vm.ProcessSpec;
import java.util.ArrayList;
import java.util.List;

/** The processes the CLI starts in a guest, with the environment a login would give them. */
final class GuestProcesses {

  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private GuestProcesses() {}

  /** A command run as root (the foundation's only guest user) with a login-like environment. */
  static ProcessSpec asRoot(List<String> command, List<String> extraEnv, String cwd) {
    List<String> env = new ArrayList<>(List.of(
        "PATH=" + PATH, "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C.UTF-8"));
    for (String entry : extraEnv) {
      if (entry.indexOf('=') <= 0) {
        throw new IllegalArgumentException("invalid --env '" + entry + "': expected KEY=VALUE");
      }
      env.removeIf(e -> e.startsWith(entry.substring(0, entry.indexOf('=') + 1)));
      env.add(entry);
    }
    return new ProcessSpec(List.copyOf(command), env, cwd, 0, 0, List.of(), false, 0, 0);
  }

  /** The user's login shell: bash when the environment has it, else sh. */
  static ProcessSpec loginShell() {
    return asRoot(
        List.of("/bin/sh", "-c", "cd \"$HOME\" 2>/dev/null; if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi"),
        List.of(), "/");
  }
}
