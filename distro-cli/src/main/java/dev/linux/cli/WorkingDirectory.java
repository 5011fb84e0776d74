package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import dev.linux.share.PathTranslator;
import dev.linux.share.ShareSpec;
import dev.linux.shell.HostTerminal;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where {@code run} and {@code enter} start: an explicit {@code -w/--cd} wins; else the host's
 * current directory, translated to its guest path, when a share of the environment holds it; else
 * the guest user's home (a one-line notice says so on an interactive terminal only, never in
 * scripts).
 */
final class WorkingDirectory {

  /** The guest working directory ({@code ""}: the user's home) and the notice, if any. */
  record Choice(String guestPath, Optional<String> notice) {}

  private WorkingDirectory() {}

  /** The choice for {@code hostCwd} among {@code shares}: a pure function, unit-tested. */
  static Choice choose(String explicit, Path hostCwd, List<ShareSpec> shares, EnvName env) {
    if (explicit != null) {
      return new Choice(explicit, Optional.empty());
    }
    Path cwd = hostCwd.toAbsolutePath().normalize();
    try {
      cwd = cwd.toRealPath();
    } catch (IOException e) {
      // deleted under us: translate what the shell thinks it is
    }
    Optional<String> guest = new PathTranslator(shares).toGuest(cwd);
    if (guest.isPresent()) {
      return new Choice(guest.get(), Optional.empty());
    }
    return new Choice("", Optional.of("linux: " + hostCwd + " is not shared with " + env + "; starting in the home directory"));
  }

  /** The working directory for a command in {@code env}, printing the notice on a terminal. */
  static String resolve(String explicit, Environments environments, EnvName env, PrintWriter err) {
    if (explicit != null) {
      return explicit;
    }
    Choice choice = choose(null, Path.of(System.getProperty("user.dir")), environments.activeShares(env), env);
    if (choice.notice().isPresent() && HostTerminal.interactive()) {
      err.println(choice.notice().get());
      err.flush();
    }
    return choice.guestPath();
  }
}
