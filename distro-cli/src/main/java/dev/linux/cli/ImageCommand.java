package dev.linux.cli;

import dev.linux.env.Images;
import dev.linux.env.LinuxHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "image",
    description = {
      "Manage the local image store: pull from registries, load archives, list, inspect, remove.",
      "",
      "References: debian:bookworm, ghcr.io/org/name:tag, HOST:PORT/name, name@sha256:...",
      "Registry credentials come from $DOCKER_CONFIG/config.json (default ~/.docker/config.json)."
    },
    subcommands = {
      ImagePullCommand.class,
      ImageListCommand.class,
      ImageRemoveCommand.class,
      ImageInspectCommand.class,
      ImagePruneCommand.class,
      ImageLoadCommand.class,
      ImageLoginCommand.class,
      ImageLogoutCommand.class
    })
final class ImageCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The image services for this process's environment. */
  static Images images() {
    return new Images(LinuxHome.fromEnvironment(System.getenv()), System.getenv());
  }
}
