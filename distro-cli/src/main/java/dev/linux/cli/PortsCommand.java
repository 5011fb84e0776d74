package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.EnvName;
import dev.linux.env.EnvironmentRecord;
import dev.linux.env.Environments;
import dev.linux.env.LinuxHome;
import dev.linux.env.NetworkSettings;
import dev.linux.env.daemon.ForwardedPort;
import dev.linux.env.daemon.PortsFile;
import java.io.PrintWriter;
import java.util.ArrayList;
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
    name = "ports",
    description = {
      "List the ports guest processes listen on and where the host serves them.",
      "",
      "A port a guest process listens on (on 0.0.0.0, :: or the guest's address) is forwarded",
      "within a second on the environment's own address (see linux list) and on 127.0.0.1 when",
      "that port is free there (first come, first served). States: forwarded, host port taken",
      "(tried again every few seconds), loopback-only (the guest listens on 127.0.0.1: listen",
      "on 0.0.0.0 to reach it from the host), ignored (--ignore-ports), forwarding off",
      "(--forward-ports false). The daemon keeps the forwards and logs every change in daemon.log."
    })
final class PortsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", arity = "0..1", description = "One environment (default: every running one).")
  String name;

  @Option(names = "--json", description = "One JSON array, for scripts.")
  boolean json;

  record Row(String environment, ForwardedPort port) {}

  @Override
  public Integer call() throws Exception {
    Environments environments = CliEnvironment.environments(spec.commandLine().getErr(), true);
    LinuxHome home = CliEnvironment.home();
    List<EnvironmentRecord> records = new ArrayList<>();
    if (name != null) {
      EnvName env = EnvName.of(name);
      records.add(environments.find(env).orElseThrow(() -> new dev.linux.env.EnvException(
          dev.linux.env.EnvException.Code.NOT_FOUND, "no environment named '" + env + "'")));
    } else {
      environments.list().forEach(s -> records.add(s.record()));
    }
    List<Row> rows = new ArrayList<>();
    for (EnvironmentRecord record : records) {
      if (environments.isRunning(record.envName())) {
        PortsFile.read(home.files(record.envName()).runtime()).forEach(p -> rows.add(new Row(record.name(), p)));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> list = rows.stream().map(PortsCommand::toJson).toList();
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(list));
      return 0;
    }
    if (name != null && rows.isEmpty()) {
      EnvironmentRecord record = records.get(0);
      NetworkSettings net = record.networkSettings();
      out.println(!environments.isRunning(record.envName()) ? name + " is not running"
          : net.network() != dev.linux.vm.NetworkMode.USER ? name + " has no network (--network none)"
          : "no guest process of " + name + " listens on a port");
      return 0;
    }
    String format = "%-16s %-5s %6s  %-22s %s%n";
    out.printf(format, "NAME", "PROTO", "GUEST", "HOST", "STATE");
    for (Row r : rows) {
      out.printf(format, r.environment(), r.port().protocol(), r.port().guestPort(), r.port().host(), r.port().state().label());
    }
    return 0;
  }

  private static Map<String, Object> toJson(Row r) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", r.environment());
    row.put("protocol", r.port().protocol());
    row.put("guestPort", r.port().guestPort());
    row.put("hostAddress", r.port().hostAddress());
    row.put("hostPort", r.port().hostAddress() == null ? null : r.port().hostPort());
    row.put("state", r.port().state().label());
    if (!r.port().detail().isEmpty()) {
      row.put("detail", r.port().detail());
    }
    return row;
  }
}
