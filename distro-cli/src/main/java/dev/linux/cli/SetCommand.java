package dev.linux.cli;

import dev.linux.env.ByteSize;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentSettings;
import dev.linux.env.Environments;
import dev.linux.env.NetworkSettings;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "set",
    description = {
      "Change an environment's settings; they apply the next time it boots.",
      "Restart it for them to take effect now.",
      "",
      "  linux set dev --memory 8G --cpus 4 && linux restart dev",
      "  linux set dev --idle-timeout -1    never stop dev when idle",
      "  linux set dev --systemd true       boot with the distribution's own init (systemd)",
      "  linux set dev --share /srv/data:/data:ro --unshare /opt/old",
      "  linux set dev --home false         stop sharing the host home",
      "  linux set dev --network none       no network at all (only lo) from the next boot",
      "  linux set dev --ignore-ports 22    never forward port 22 (applies at once)"
    })
final class SetCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--cpus", paramLabel = "N", description = "Virtual CPUs.")
  Integer cpus;

  @Option(names = "--memory", paramLabel = "SIZE", description = "Guest memory, e.g. 512M or 8G.")
  String memory;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Seconds with no session and no process started by run or enter before it stops; -1 never. Applies at once.")
  Long idleTimeout;

  @Option(names = "--systemd", paramLabel = "true|false", arity = "1",
      description = "Run the distribution's init (systemd) as PID 1 of the environment, as WSL does; "
          + "by default the image's /etc/wsl.conf [boot] systemd decides.")
  Boolean systemd;

  @Option(names = "--home", paramLabel = "true|false", arity = "1",
      description = "Share the host home at the same path (the default, unless the image's /etc/wsl.conf says [automount] enabled = false).")
  Boolean home;

  @Option(names = "--share", paramLabel = "HOST[:GUEST][:ro]",
      description = "Share another host directory (absolute) at GUEST (default: the same path), read-only with :ro (repeatable).")
  java.util.List<String> shares = java.util.List.of();

  @Option(names = "--unshare", paramLabel = "PATH", description = "Stop sharing the directory with this host or guest path (repeatable).")
  java.util.List<String> unshares = java.util.List.of();

  @Option(names = "--network", paramLabel = "user|none",
      description = "user: outbound network, DNS and forwarded ports (the default); none: only lo. Applies at the next boot.")
  String network;

  @Option(names = "--forward-ports", paramLabel = "true|false",
      description = "Forward the ports guest processes listen on to the host (see linux ports). Applies at once.")
  String forwardPorts;

  @Option(names = "--ignore-ports", paramLabel = "PORT[,PORT...]",
      description = "Guest ports never forwarded, e.g. 22,5432 (\"\" clears the list). Applies at once.")
  String ignorePorts;

  @Override
  public Integer call() {
    EnvName env = EnvName.of(name);
    EnvironmentSettings settings = new EnvironmentSettings(
        Optional.ofNullable(cpus), Optional.ofNullable(memory).map(ByteSize::parse), Optional.ofNullable(idleTimeout),
        Optional.ofNullable(systemd), NetworkSettings.Change.parse(network, forwardPorts, ignorePorts));
    dev.linux.env.ShareChanges shareChanges = ShareOptions.changes(home, shares, unshares);
    Environments environments = CliEnvironment.environments(spec.commandLine().getErr(), true);
    // Shares first: they are checked against the record, and a bad one must leave everything as it was.
    if (!shareChanges.isEmpty()) {
      environments.update(env, shareChanges);
    }
    if (!settings.isEmpty() || shareChanges.isEmpty()) {
      environments.update(env, settings);
    }
    boolean bootSettings =
        cpus != null || memory != null || systemd != null || network != null || !shareChanges.isEmpty();
    if (bootSettings && environments.isRunning(env)) {
      spec.commandLine().getErr().println(
          name + " is running: cpus, memory, systemd, network and shares apply when it next boots (linux restart " + name + ")");
    }
    return 0;
  }
}
