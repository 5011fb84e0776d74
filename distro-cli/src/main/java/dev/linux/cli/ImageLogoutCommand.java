package dev.linux.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "logout", description = "Remove a registry's credentials from $DOCKER_CONFIG/config.json.")
final class ImageLogoutCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REGISTRY")
  String registry;

  @Override
  public Integer call() {
    boolean removed = ImageCommand.images().logout(registry);
    spec.commandLine().getOut().println(removed ? "logged out of " + registry : "not logged in to " + registry);
    return removed ? 0 : 1;
  }
}
