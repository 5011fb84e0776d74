package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.ByteSize;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentInspection;
import dev.linux.env.EnvironmentRecord;
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
      "invalid values found in that file (configProblems).",
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

  static Map<String, Object> fields(EnvironmentInspection inspection, GlobalConfig config) {
    EnvironmentRecord record = inspection.status().record();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", record.name());
    row.put("state", inspection.status().state().label());
    inspection.status().stateReason().ifPresent(reason -> row.put("stateReason", reason));
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
