package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.ByteSize;
import dev.linux.env.EnvironmentStatus;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", aliases = "ls", description = "List environments and their state.")
final class ListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "One JSON array, for scripts.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    StartupTrace.mark("parsed");
    List<EnvironmentStatus> all = CliEnvironment.environments(spec.commandLine().getErr(), true).list();
    StartupTrace.mark("records and states");
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> rows = all.stream().map(ListCommand::toJson).toList();
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
      return 0;
    }
    String format = "%-16s %-9s %-28s %4s  %-8s  %-19s  %s%n";
    out.printf(format, "NAME", "STATE", "IMAGE", "CPUS", "MEMORY", "DISK", "ADDRESS");
    for (EnvironmentStatus s : all) {
      if (s.record().unreadable()) {
        out.printf(format, s.record().name(), s.state().label(), "-", "-", "-", "-");
        continue;
      }
      out.printf(format, s.record().name(), s.state().label(), s.record().image(), s.record().cpus(),
          new ByteSize(s.record().memoryBytes()).human(),
          new ByteSize(s.diskUsedBytes()).human() + " / " + new ByteSize(s.record().diskBytes()).human(),
          address(s.record()));
    }
    return 0;
  }

  /** The environment's address, or what stands in for it. */
  static String address(dev.linux.env.EnvironmentRecord record) {
    if (record.networkSettings().network() == dev.linux.vm.NetworkMode.NONE) {
      return "none";
    }
    return record.address() == null ? "-" : record.address();
  }

  private static Map<String, Object> toJson(EnvironmentStatus s) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", s.record().name());
    row.put("state", s.state().label());
    s.stateReason().ifPresent(reason -> row.put("stateReason", reason));
    if (s.record().unreadable()) {
      return row; // nothing else is known of it
    }
    row.put("image", s.record().image());
    row.put("imageDigest", s.record().imageDigest());
    row.put("cpus", s.record().cpus());
    row.put("memoryBytes", s.record().memoryBytes());
    row.put("diskBytes", s.record().diskBytes());
    row.put("diskUsedBytes", s.diskUsedBytes());
    row.put("address", s.record().address());
    row.put("network", dev.linux.env.NetworkSettings.label(s.record().networkSettings().network()));
    row.put("created", s.record().created().toString());
    if (s.record().lastStarted() != null) {
      row.put("lastStarted", s.record().lastStarted().toString());
    }
    s.pid().ifPresent(pid -> row.put("pid", pid));
    return row;
  }
}
