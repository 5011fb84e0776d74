package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.ByteSize;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentInspection;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.EnvironmentShares;
import dev.linux.env.GlobalConfig;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "inspect",
    description = {
      "Show everything about an environment.",
      "Its settings, state, VM process and disk usage; while it runs, also the kernel",
      "and accelerator it booted with, its /etc/wsl.conf's [automount] enabled and any",
      "invalid values found in that file (configProblems); the shared directories with",
      "their state (shares) and what keeps any from being served (shareProblems).",
      "",
      "  linux inspect dev",
      "  linux inspect dev --json | jq .memoryBytes"
    })
final class InspectCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--json", description = "One JSON object, for scripts.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    GlobalConfig config = CliEnvironment.config();
    EnvironmentInspection inspection =
        CliEnvironment.environments(spec.commandLine().getErr(), true).inspect(EnvName.of(name));
    Map<String, Object> fields = fields(inspection, config);
    shares(fields, CliEnvironment.environments(spec.commandLine().getErr(), true).shares(EnvName.of(name)), json);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(fields));
      return 0;
    }
    text(fields, out);
    return 0;
  }

  /** One field a line; a list one element a line, aligned under the first. */
  static void text(Map<String, Object> fields, PrintWriter out) {
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      Object value = field.getValue();
      if (field.getKey().endsWith("Bytes") && value instanceof Long bytes) {
        value = new ByteSize(bytes).human();
      }
      if (value instanceof List<?> list) {
        value = list.isEmpty() ? "none" : String.join(System.lineSeparator() + " ".repeat(20),
            list.stream().map(String::valueOf).toList());
      }
      out.printf("%-19s %s%n", field.getKey() + ":", value);
    }
  }

  /**
   * {@code shares}: host, guest path, read-only and state ({@code served}, {@code lost} when its
   * file server died, {@code stopped}, {@code at the next boot}, ...); {@code shareProblems}: what
   * keeps a share from being served.
   */
  static void shares(Map<String, Object> row, EnvironmentShares.Report report, boolean json) {
    if (json) {
      row.put("shares", report.shares().stream().map(s -> {
        Map<String, Object> share = new LinkedHashMap<>();
        share.put("host", s.host());
        share.put("guest", s.guest());
        share.put("readOnly", s.readOnly());
        share.put("state", s.state());
        return share;
      }).toList());
    } else {
      row.put("shares", report.shares().stream()
          .map(s -> s.host() + (s.host().equals(s.guest()) ? "" : " at " + s.guest())
              + " (" + (s.readOnly() ? "read-only" : "writable") + ", " + s.state() + ")")
          .toList());
    }
    row.put("shareProblems", report.problems());
  }

  static Map<String, Object> fields(EnvironmentInspection inspection, GlobalConfig config) {
    EnvironmentRecord record = inspection.status().record();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", record.name());
    row.put("state", inspection.status().state().label());
    inspection.status().stateReason().ifPresent(reason -> row.put("stateReason", reason));
    if (record.unreadable()) {
      row.put("directory", inspection.directory().toString()); // nothing else is known of it
      return row;
    }
    inspection.status().pid().ifPresent(pid -> row.put("pid", pid));
    row.put("image", record.image());
    row.put("imageDigest", record.imageDigest());
    row.put("created", record.created().toString());
    if (record.lastStarted() != null) {
      row.put("lastStarted", record.lastStarted().toString());
    }
    row.put("cpus", record.cpus());
    row.put("memoryBytes", record.memoryBytes());
    row.put("diskBytes", record.diskBytes());
    row.put("diskUsedBytes", inspection.status().diskUsedBytes());
    row.put("idleTimeoutSeconds",
        record.idleTimeoutSeconds() != null ? record.idleTimeoutSeconds() : config.idleTimeoutSeconds());
    row.put("idleTimeoutSource", record.idleTimeoutSeconds() != null ? "environment" : config.source(GlobalConfig.Key.IDLE_TIMEOUT).label());
    row.put("default", config.value(GlobalConfig.Key.DEFAULT_ENVIRONMENT).equals(record.name()));
    row.put("address", record.address());
    row.put("network", dev.linux.env.NetworkSettings.label(record.networkSettings().network()));
    row.put("forwardPorts", record.networkSettings().forwardPorts());
    row.put("ignorePorts", record.networkSettings().ignorePorts());
    inspection.kernel().ifPresent(k -> row.put("kernel", k));
    inspection.accelerator().ifPresent(a -> row.put("accelerator", a));
    inspection.guest().ifPresent(guest -> {
      row.put("automount", guest.automount());
      row.put("configProblems", guest.configProblems());
    });
    row.put("directory", inspection.directory().toString());
    row.put("consoleLog", inspection.consoleLog().toString());
    return row;
  }
}
