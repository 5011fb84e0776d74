package dev.linux.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linux.env.ByteSize;
import dev.linux.env.image.ImageStore;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "ls", aliases = "list", description = "List the images in the local image store.")
final class ImageListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "One JSON array, for scripts.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<ImageStore.Entry> entries = ImageCommand.images().list();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> rows = entries.stream().map(e -> {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", e.tag());
        row.put("digest", e.manifest().digest().toString());
        row.put("mediaType", e.manifest().mediaType());
        if (e.manifest().platform() != null) {
          row.put("platform", e.manifest().platform().toString());
        }
        row.put("size", e.size());
        return row;
      }).toList();
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
      return 0;
    }
    String format = "%-40s %-21s %-14s %s%n";
    out.printf(format, "NAME", "DIGEST", "PLATFORM", "SIZE");
    for (ImageStore.Entry e : entries) {
      out.printf(format, e.tag(), e.manifest().digest().shortForm(),
          e.manifest().platform() == null ? "" : e.manifest().platform(), new ByteSize(e.size()).human());
    }
    return 0;
  }
}
