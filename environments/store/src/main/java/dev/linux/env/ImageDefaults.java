package dev.linux.env;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.linux.env.image.ImageConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an environment keeps from its image's configuration: the image is only a template, but its
 * {@code Env} applies to every process started in the environment, and its {@code WorkingDir} and
 * {@code User} are defaults where the environment has none of its own.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageDefaults(
    List<String> env, String workingDir, String user, List<String> entrypoint, List<String> cmd,
    Map<String, String> labels, Set<String> exposedPorts) {

  public static final ImageDefaults NONE = new ImageDefaults(null, null, null, null, null, null, null);

  public ImageDefaults {
    env = env == null ? List.of() : List.copyOf(env);
    workingDir = workingDir == null || workingDir.isBlank() ? null : workingDir;
    user = user == null || user.isBlank() ? null : user;
    entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
    cmd = cmd == null ? List.of() : List.copyOf(cmd);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    exposedPorts = exposedPorts == null ? Set.of() : Set.copyOf(exposedPorts);
  }

  public static ImageDefaults from(ImageConfig config) {
    return new ImageDefaults(config.env(), config.workingDir(), config.user(), config.entrypoint(),
        config.cmd(), config.labels(), config.exposedPorts());
  }
}
