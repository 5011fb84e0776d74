package dev.linux.cli;

import dev.linux.env.EnvException;
import dev.linux.env.registry.Credentials;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "login", description = "Store credentials for a registry in $DOCKER_CONFIG/config.json (checked with the registry first).")
final class ImageLoginCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REGISTRY", description = "e.g. ghcr.io, 127.0.0.1:5000; docker.io for Docker Hub")
  String registry;

  @Option(names = {"-u", "--username"}, required = true)
  String username;

  @Option(names = {"-p", "--password"}, description = "The password (prefer --password-stdin).")
  String password;

  @Option(names = "--password-stdin", description = "Read the password from standard input.")
  boolean passwordStdin;

  @Option(names = "--no-verify", description = "Store the credentials without asking the registry.")
  boolean noVerify;

  @Override
  public Integer call() throws Exception {
    String secret = password;
    if (passwordStdin) {
      secret = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    } else if (secret == null && System.console() != null) {
      char[] typed = System.console().readPassword("Password: ");
      secret = typed == null ? null : new String(typed);
    }
    if (secret == null || secret.isEmpty()) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "no password given (use --password-stdin)");
    }
    Path file = ImageCommand.images().login(registry, new Credentials(username, secret), !noVerify);
    spec.commandLine().getOut().printf("logged in to %s (credentials in %s)%n", registry, file);
    return 0;
  }
}
