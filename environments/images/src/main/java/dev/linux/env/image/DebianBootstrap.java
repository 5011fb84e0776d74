package dev.linux.env.image;

import dev.linux.env.fs.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds the default image without any registry: {@code mmdebstrap} makes a minbase root
 * filesystem of the host's own release from the host's configured package sources, and the
 * tarball becomes a one-layer OCI image in the image store, tagged {@code ID:CODENAME} from the
 * host's {@code /etc/os-release} (for example {@code debian:bookworm}).
 *
 * <p>Run as root, mmdebstrap works directly; as an ordinary user it needs {@code --mode=unshare}
 * (user namespaces and ranges in {@code /etc/subuid}), chosen automatically.
 */
public final class DebianBootstrap {

  /** Packages added to minbase: enough for a comfortable interactive shell. */
  public static final List<String> EXTRA_PACKAGES = List.of(
      "ca-certificates", "sudo", "less", "procps", "iproute2", "netbase", "bash-completion", "nano");

  private static final Duration TIMEOUT = Duration.ofMinutes(30);

  private final CommandRunner runner;
  private final Host host;

  public DebianBootstrap(CommandRunner runner, Host host) {
    this.runner = runner;
    this.host = host;
  }

  /** A bootstrap of this host's release, running the real mmdebstrap. */
  public static DebianBootstrap forThisHost() throws IOException {
    return new DebianBootstrap(CommandRunner.system(), Host.detect(Path.of("/etc"), isRoot(), Platform.host()));
  }

  /**
   * What the bootstrap needs to know about the host.
   *
   * @param distribution {@code ID} from os-release, e.g. {@code debian}
   * @param suite {@code VERSION_CODENAME}, e.g. {@code bookworm}
   * @param sources the apt sources file handed to mmdebstrap as its mirror
   * @param root whether this process runs as root
   */
  public record Host(String distribution, String suite, Path sources, boolean root, Platform platform) {

    /**
     * Reads {@code etc/os-release} and finds the sources file ({@code apt/sources.list.d/debian.sources},
     * else {@code apt/sources.list}).
     */
    public static Host detect(Path etc, boolean root, Platform platform) throws IOException {
      Path osRelease = etc.resolve("os-release");
      if (!Files.exists(osRelease)) {
        osRelease = Path.of("/usr/lib/os-release");
      }
      Map<String, String> release = parseOsRelease(Files.readAllLines(osRelease));
      String suite = release.get("VERSION_CODENAME");
      if (suite == null || suite.isEmpty()) {
        throw new ImageException("cannot bootstrap an image: " + osRelease + " has no VERSION_CODENAME");
      }
      Path sources = etc.resolve("apt/sources.list.d/debian.sources");
      if (!Files.isRegularFile(sources)) {
        sources = etc.resolve("apt/sources.list");
      }
      if (!Files.isRegularFile(sources)) {
        throw new ImageException("cannot bootstrap an image: this host has no apt sources ("
            + etc.resolve("apt/sources.list.d/debian.sources") + " or " + sources + ")");
      }
      return new Host(release.getOrDefault("ID", "debian"), suite, sources, root, platform);
    }
  }

  static Map<String, String> parseOsRelease(List<String> lines) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (line.isBlank() || line.startsWith("#") || eq < 0) {
        continue;
      }
      String value = line.substring(eq + 1).strip();
      if (value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'")) && value.endsWith(value.substring(0, 1))) {
        value = value.substring(1, value.length() - 1);
      }
      values.put(line.substring(0, eq).strip(), value);
    }
    return values;
  }

  /** The tag the bootstrapped image gets, e.g. {@code debian:bookworm}: the default image. */
  public String tag() {
    return host.distribution() + ":" + host.suite();
  }

  /** The mmdebstrap command line: a pure function of its inputs. */
  public static List<String> mmdebstrapCommand(Host host, List<String> packages, Path outputTar) {
    List<String> command = new ArrayList<>();
    command.add("mmdebstrap");
    command.add("--variant=minbase");
    if (!host.root()) {
      command.add("--mode=unshare");
    }
    command.add("--architectures=" + debianArchitecture(host.platform()));
    if (!packages.isEmpty()) {
      command.add("--include=" + String.join(",", packages));
    }
    command.add("--format=tar");
    command.add(host.suite());
    command.add(outputTar.toString());
    command.add(host.sources().toString());
    return command;
  }

  private static String debianArchitecture(Platform platform) {
    return switch (platform.architecture()) {
      case "arm64" -> "arm64";
      case "amd64" -> "amd64";
      default -> platform.architecture();
    };
  }

  /**
   * Bootstraps and stores the image in the layout at {@code layoutDir}, tagging it {@link #tag()}.
   *
   * @return the manifest's descriptor
   */
  public Descriptor bootstrap(Path layoutDir) throws IOException {
    OciLayoutWriter writer = OciLayoutWriter.open(layoutDir);
    Path work = Files.createTempDirectory(layoutDir, ".bootstrap-");
    try {
      Path tar = work.resolve("rootfs.tar");
      runner.run(mmdebstrapCommand(host, EXTRA_PACKAGES, tar), work, work.resolve("mmdebstrap.log"), TIMEOUT);
      OciLayoutWriter.LayerBlob layer;
      try (InputStream in = Files.newInputStream(tar)) {
        layer = writer.addLayer(in, Compression.GZIP);
      }
      ImageConfig config = ImageConfig.of(host.platform(), List.of("/bin/bash"));
      Descriptor configBlob = writer.writeConfig(config, List.of(layer.diffId()));
      Descriptor manifest = writer.writeManifest(configBlob, List.of(layer.descriptor()));
      writer.tag(manifest, tag(), host.platform());
      return manifest;
    } finally {
      FileTrees.delete(work);
    }
  }

  static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

}
