package dev.linux.env.image;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What an image's config says about running it (the parts this project uses).
 *
 * @param env {@code NAME=value} entries, in order
 * @param workingDir or null
 * @param user or null
 * @param entrypoint never null, possibly empty
 * @param cmd never null, possibly empty
 * @param exposedPorts e.g. {@code 80/tcp}
 */
public record ImageConfig(
    String architecture, String os, List<String> env, String workingDir, String user,
    List<String> entrypoint, List<String> cmd, Map<String, String> labels, Set<String> exposedPorts) {

  public ImageConfig {
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(os, "os");
    env = env == null ? List.of() : List.copyOf(env);
    entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
    cmd = cmd == null ? List.of() : List.copyOf(cmd);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    exposedPorts = exposedPorts == null ? Set.of() : Set.copyOf(exposedPorts);
  }

  /** A config for {@code platform} with a conventional PATH and the given command. */
  public static ImageConfig of(Platform platform, List<String> cmd) {
    return new ImageConfig(platform.architecture(), platform.os(),
        List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        null, null, List.of(), cmd, Map.of(), Set.of());
  }

  public Platform platform() {
    return new Platform(os, architecture, null);
  }
}
