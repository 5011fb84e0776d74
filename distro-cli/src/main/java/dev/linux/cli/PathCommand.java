package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.share.PathTranslator;
import dev.linux.share.ShareSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "path",
    description = {
      "Translate a path between the host and an environment, through its shares (like WSL's wslpath).",
      "A path outside every share has no counterpart: exit status 1. Uses the shares the",
      "environment runs with, else those of its next boot; never boots it.",
      "",
      "  linux path ~/project/src             the guest path (default environment)",
      "  linux path --to-host dev /home/me/x  the host path",
      "  cd \"$(linux path --to-host dev /srv/data)\""
    })
final class PathCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Direction {
    @Option(names = {"-u", "--to-guest"}, description = "Host path to guest path (the default).")
    boolean toGuest;

    @Option(names = {"-w", "--to-host"}, description = "Guest path to host path.")
    boolean toHost;
  }

  @ArgGroup(exclusive = true)
  Direction direction = new Direction();

  @Parameters(arity = "1..2", paramLabel = "[NAME] PATH", description = "The environment (default: the default one), then the path; a relative host path is taken from the current directory.")
  List<String> words;

  @Override
  public Integer call() {
    if (words.get(words.size() - 1).isEmpty()) {
      throw new IllegalArgumentException("empty path");
    }
    EnvName env = words.size() == 2 ? EnvName.of(words.get(0)) : CliEnvironment.config().defaultEnvironment();
    String path = words.get(words.size() - 1);
    List<ShareSpec> shares = CliEnvironment.environments(spec.commandLine().getErr(), true).activeShares(env);
    Optional<String> result = translate(path, direction.toHost, Path.of(System.getProperty("user.dir")), shares);
    if (result.isEmpty()) {
      spec.commandLine().getErr().println("linux: " + path + " is outside every share of " + env);
      return 1;
    }
    spec.commandLine().getOut().println(result.get());
    return 0;
  }

  /** The counterpart of {@code path} (guest→host with {@code toHost}); empty outside every share. */
  static Optional<String> translate(String path, boolean toHost, Path cwd, List<ShareSpec> shares) {
    PathTranslator translator = new PathTranslator(shares);
    if (toHost) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("a guest path must be absolute: " + path);
      }
      return translator.toHost(path).map(Path::toString);
    }
    Path host = cwd.resolve(path).toAbsolutePath().normalize();
    try {
      host = host.toRealPath();
    } catch (IOException e) {
      // not there (yet): translate it as written
    }
    return translator.toGuest(host);
  }
}
