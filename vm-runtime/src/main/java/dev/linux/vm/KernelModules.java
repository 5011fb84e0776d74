package dev.linux.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A kernel's loadable modules and their dependencies: from {@code modules.dep} when the kernel has
 * one, otherwise from each module's {@code .modinfo}. Builtins ({@code modules.builtin}) need
 * nothing loaded. Module names are normalized as the kernel does ('-' becomes '_').
 */
final class KernelModules {

  /** The outcome of {@link #resolve}: modules to load, dependencies first. */
  record Resolution(List<String> loadOrder, List<String> builtin, List<String> missing) {}

  private final Map<String, String> paths;
  private final Set<String> builtin;
  private final Function<String, List<String>> dependencies;

  private KernelModules(
      Map<String, String> paths, Set<String> builtin, Function<String, List<String>> dependencies) {
    this.paths = paths;
    this.builtin = builtin;
    this.dependencies = dependencies;
  }

  /** Parses {@code modules.dep} ("path: dep-path dep-path…") and {@code modules.builtin} text. */
  static KernelModules parse(String modulesDep, String modulesBuiltin) {
    Map<String, String> paths = new HashMap<>();
    Map<String, List<String>> deps = new HashMap<>();
    for (String line : modulesDep.lines().toList()) {
      int colon = line.indexOf(':');
      if (line.isBlank() || line.startsWith("#") || colon < 0) {
        continue;
      }
      String path = line.substring(0, colon).strip();
      String name = nameOf(path);
      paths.put(name, path);
      List<String> names = new ArrayList<>();
      for (String dep : line.substring(colon + 1).strip().split("\\s+")) {
        if (!dep.isEmpty()) {
          names.add(nameOf(dep));
        }
      }
      deps.put(name, names);
    }
    return new KernelModules(paths, parseBuiltin(modulesBuiltin), n -> deps.getOrDefault(n, List.of()));
  }

  /** Reads a kernel's modules directory (the content of {@code /lib/modules/VERSION}). */
  static KernelModules load(Path modulesDir) throws IOException {
    Path builtinFile = modulesDir.resolve("modules.builtin");
    String builtinText = Files.isRegularFile(builtinFile) ? Files.readString(builtinFile) : "";
    Path depFile = modulesDir.resolve("modules.dep");
    if (Files.isRegularFile(depFile)) {
      return parse(Files.readString(depFile), builtinText);
    }
    Map<String, String> paths = new HashMap<>();
    try (Stream<Path> files = Files.walk(modulesDir)) {
      files
          .filter(p -> isModuleFile(p.getFileName().toString()) && Files.isRegularFile(p))
          .forEach(p -> paths.put(nameOf(p.getFileName().toString()), relative(modulesDir, p)));
    }
    Map<String, List<String>> cache = new HashMap<>();
    Function<String, List<String>> fromModInfo =
        name ->
            cache.computeIfAbsent(
                name,
                n -> {
                  String path = paths.get(n);
                  if (!path.endsWith(".ko")) {
                    return List.of(); // compressed: refused later, when it would be packed
                  }
                  try {
                    return ModInfo.dependencies(Files.readAllBytes(modulesDir.resolve(path)), path);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
    return new KernelModules(paths, parseBuiltin(builtinText), fromModInfo);
  }

  /**
   * Resolves the requested modules and everything they need into load order (each module after
   * its dependencies). Builtins are reported apart; names the kernel does not know are reported as
   * missing.
   *
   * @return paths relative to the modules directory, in load order
   * @throws IOException when a module's own dependency is absent or the dependencies form a cycle
   */
  Resolution resolve(Collection<String> requested) throws IOException {
    LinkedHashSet<String> order = new LinkedHashSet<>();
    List<String> builtins = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String raw : requested) {
      String name = normalize(raw);
      if (builtin.contains(name)) {
        builtins.add(name);
      } else if (!paths.containsKey(name)) {
        missing.add(name);
      } else {
        visit(name, order, new HashSet<>(), name);
      }
    }
    return new Resolution(
        order.stream().map(paths::get).toList(), List.copyOf(builtins), List.copyOf(missing));
  }

  private void visit(String name, LinkedHashSet<String> order, Set<String> inProgress, String root)
      throws IOException {
    if (order.contains(name) || builtin.contains(name)) {
      return;
    }
    if (!paths.containsKey(name)) {
      throw new IOException("kernel module " + root + " needs " + name + ", which this kernel lacks");
    }
    if (!inProgress.add(name)) {
      throw new IOException("kernel module dependency cycle through " + name);
    }
    List<String> deps;
    try {
      deps = dependencies.apply(name);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    for (String dep : deps) {
      visit(dep, order, inProgress, root);
    }
    inProgress.remove(name);
    order.add(name);
  }

  static String normalize(String name) {
    return name.replace('-', '_');
  }

  /** "kernel/drivers/virtio/virtio_mmio.ko.xz" → "virtio_mmio". */
  static String nameOf(String path) {
    String file = path.substring(path.lastIndexOf('/') + 1);
    int ko = file.indexOf(".ko");
    return normalize(ko >= 0 ? file.substring(0, ko) : file);
  }

  private static boolean isModuleFile(String file) {
    return file.endsWith(".ko") || file.endsWith(".ko.xz") || file.endsWith(".ko.zst")
        || file.endsWith(".ko.gz");
  }

  private static Set<String> parseBuiltin(String text) {
    Set<String> names = new HashSet<>();
    text.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> names.add(nameOf(l)));
    return names;
  }

  private static String relative(Path base, Path file) {
    return base.relativize(file).toString().replace('\\', '/');
  }
}
