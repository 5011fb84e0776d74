package dev.linux.cli;

import dev.linux.env.GlobalConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "config",
    description = {
      "Show or change the global configuration.",
      "It is linux.conf in the configuration directory: one 'key = value' per line,",
      "'#' comments; edit it by hand if you like. Without a subcommand: every key, its",
      "value in effect and where that comes from.",
      "",
      "  linux config                      every key, value and source",
      "  linux config set memory 8G        new environments get 8 GiB",
      "  linux config set idleTimeout -1   environments never stop when idle",
      "  linux config get defaultEnvironment",
      "  linux config unset memory         back to the built-in default",
      "",
      "Keys: cpus, memory, disk (defaults for create), idleTimeout (seconds; -1",
      "never), defaultEnvironment (run/enter without a name), defaultImage, kernel",
      "(a directory with vmlinuz and modules/; LINUX_KERNEL overrides it), kernelArchive",
      "('URI [SUITE]' of the Debian archive the guest kernel comes from instead of the",
      "host's apt sources; LINUX_KERNEL_ARCHIVE overrides it)."
    })
final class ConfigCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return list();
  }

  @Command(name = "list", description = "Every key, its value in effect and where that comes from.")
  int list() {
    GlobalConfig config = CliEnvironment.config();
    PrintWriter out = spec.commandLine().getOut();
    for (GlobalConfig.Key key : GlobalConfig.Key.values()) {
      out.printf("%-19s = %-24s # %s%n", key.key(), config.value(key), config.source(key).label());
    }
    out.println("# file: " + config.file());
    return 0;
  }

  @Command(name = "get", description = "Print the value in effect for KEY.")
  int get(@Parameters(paramLabel = "KEY") String key) {
    spec.commandLine().getOut().println(CliEnvironment.config().value(GlobalConfig.Key.named(key)));
    return 0;
  }

  @Command(name = "set", description = {"Set KEY to VALUE in the config file (checked first).", "", "  linux config set cpus 4"})
  int set(@Parameters(paramLabel = "KEY") String key, @Parameters(paramLabel = "VALUE") String value) {
    GlobalConfig.forEditing(CliEnvironment.home()).set(GlobalConfig.Key.named(key), value);
    return 0;
  }

  @Command(name = "unset", description = "Remove KEY from the config file: its built-in default applies again.")
  int unset(@Parameters(paramLabel = "KEY") String key) {
    GlobalConfig.forEditing(CliEnvironment.home()).unset(GlobalConfig.Key.named(key));
    return 0;
  }
}
