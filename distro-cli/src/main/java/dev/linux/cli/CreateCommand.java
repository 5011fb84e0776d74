package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.CreateOptions;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.NetworkSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "create",
    description = {
      "Create an environment: write its disk from an image. Does not boot it.",
      "",
      "Images: oci:DIR[:TAG] (an OCI image layout), or a name in the local image store",
      "(the default image, Debian stable, is bootstrapped from this machine's package sources",
      "on first use)."
    })
final class CreateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "Name: lowercase letters, digits and '-'.")
  String name;

  @Option(names = "--image", paramLabel = "REF", description = "Image to seed the disk from (default: defaultImage in linux config, else " + CreateOptions.DEFAULT_IMAGE_ALIAS + ").")
  String image;

  @Option(names = "--disk", paramLabel = "SIZE", description = "Filesystem size; the file is sparse (default: disk in linux config, else 16G).")
  String disk;

  @Option(names = "--cpus", paramLabel = "N", description = "Virtual CPUs (default: cpus in linux config, else 2).")
  Integer cpus;

  @Option(names = "--memory", paramLabel = "SIZE", description = "Guest memory, allocated as the guest uses it (default: memory in linux config, else 2G).")
  String memory;

  @Option(names = "--no-home", description = "Do not share the host home (shared by default at the same path, writable).")
  boolean noHome;

  @Option(names = "--share", paramLabel = "HOST[:GUEST][:ro]",
      description = "Share a host directory (absolute) at GUEST (default: the same path), read-only with :ro (repeatable).")
  java.util.List<String> shares = java.util.List.of();
  @Option(names = "--network", paramLabel = "user|none",
      description = "user: outbound network, DNS and forwarded ports; none: only lo (default: network in linux config, else user).")
  String network;

  @Option(names = "--forward-ports", paramLabel = "true|false",
      description = "Forward the ports guest processes listen on to the host (default: forwardPorts in linux config, else true).")
  String forwardPorts;

  @Option(names = "--ignore-ports", paramLabel = "PORT[,PORT...]",
      description = "Guest ports never forwarded, e.g. 22,5432 (default: ignorePorts in linux config, else none).")
  String ignorePorts;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() {
    dev.linux.env.ShareChanges shareChanges = ShareOptions.changes(noHome ? Boolean.FALSE : null, shares, java.util.List.of());
    var environments = CliEnvironment.environments(spec.commandLine().getErr(), quiet);
    CreateOptions defaults = CliEnvironment.config().createDefaults();
    NetworkSettings net = NetworkSettings.Change.parse(network, forwardPorts, ignorePorts)
        .applyTo(CliEnvironment.config().networkDefaults());
    CreateOptions options = new CreateOptions(
        image != null ? image : defaults.image(),
        disk != null ? ByteSize.parse(disk) : defaults.disk(),
        cpus != null ? cpus : defaults.cpus(),
        memory != null ? ByteSize.parse(memory) : defaults.memory());
    EnvironmentRecord record = environments.create(EnvName.of(name), options, shareChanges, net);
    if (!quiet) {
      spec.commandLine().getOut().printf("created %s from %s%n", record.name(), record.image());
    }
    return 0;
  }
}
