package dev.linux.env;

import dev.linux.env.fs.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The global configuration: {@code linux.conf} in the configuration directory, one {@code key =
 * value} per line ({@code #} starts a comment line; a value may be wrapped in double quotes). Every
 * value is validated when the file is read, so a bad value is reported with the file, line and key
 * before anything uses it. {@code LINUX_KERNEL} overrides {@code kernel}.
 *
 * <pre>
 * # defaults for `linux create`
 * cpus = 4
 * memory = 8G
 * disk = 64G
 * idleTimeout = 300        # seconds without sessions before a stop; -1 never
 * defaultEnvironment = dev
 * defaultImage = debian:stable
 * kernel = /opt/my-kernel  # holds vmlinuz and modules/
 * kernelArchive = https://mirror.example.org/debian stable   # where the guest kernel comes from
 * network = user           # or none: only lo
 * forwardPorts = true      # forward the guest's listening ports to the host
 * ignorePorts = 22,5432    # never forward these
 * </pre>
 */
public final class GlobalConfig {

  public static final String FILE_NAME = "linux.conf";

  /** A configuration key, its built-in default and how its values are checked. */
  public enum Key {
    CPUS("cpus", "2", "virtual CPUs of new environments (1-256)"),
    MEMORY("memory", "2G", "memory of new environments (at least 128M, whole MiB)"),
    DISK("disk", "16G", "filesystem size of new environments (at least 64M)"),
    IDLE_TIMEOUT("idleTimeout", "60", "seconds without sessions before an environment stops; -1 never"),
    DEFAULT_ENVIRONMENT("defaultEnvironment", "dev", "what run and enter use when no name is given"),
    DEFAULT_IMAGE("defaultImage", CreateOptions.DEFAULT_IMAGE_ALIAS, "the image of new environments"),
    KERNEL("kernel", "", "a directory holding vmlinuz and modules/ (empty: the distribution's kernel)"),
    KERNEL_ARCHIVE("kernelArchive", "",
        "'URI [SUITE]' of the Debian archive for the guest kernel (empty: the host's apt sources)"),
    NETWORK("network", "user", "the network of new environments: user (outbound, DNS, forwarded ports) or none (only lo)"),
    FORWARD_PORTS("forwardPorts", "true", "whether new environments' listening ports are forwarded to the host"),
    IGNORE_PORTS("ignorePorts", "", "guest ports new environments never forward, e.g. 22,5432");

    private final String key;
    private final String builtIn;
    private final String meaning;

    Key(String key, String builtIn, String meaning) {
      this.key = key;
      this.builtIn = builtIn;
      this.meaning = meaning;
    }

    public String key() {
      return key;
    }

    public String builtInDefault() {
      return builtIn;
    }

    public String meaning() {
      return meaning;
    }

    /** The key named {@code name} (as written in the file), or an error listing the valid ones. */
    public static Key named(String name) {
      for (Key k : values()) {
        if (k.key.equals(name)) {
          return k;
        }
      }
      throw new EnvException(
          EnvException.Code.INVALID_ARGUMENT,
          "unknown configuration key '" + name + "' (valid keys: "
              + String.join(", ", Arrays.stream(values()).map(Key::key).toList()) + ")");
    }

    /** Checks {@code value}; returns why it is wrong, or empty when it is valid. */
    Optional<String> problem(String value) {
      try {
        switch (this) {
          case CPUS -> {
            int cpus = Integer.parseInt(value);
            if (cpus < 1 || cpus > 256) {
              return Optional.of("must be between 1 and 256, not " + value);
            }
          }
          case MEMORY -> {
            ByteSize size = ByteSize.parse(value);
            if (size.bytes() < (128L << 20) || size.bytes() % (1L << 20) != 0) {
              return Optional.of("must be a whole number of MiB, at least 128M, not " + value);
            }
          }
          case DISK -> {
            if (ByteSize.parse(value).bytes() < (64L << 20)) {
              return Optional.of("must be at least 64M, not " + value);
            }
          }
          case IDLE_TIMEOUT -> {
            if (Long.parseLong(value) < -1) {
              return Optional.of("must be -1 (never) or a number of seconds, not " + value);
            }
          }
          case DEFAULT_ENVIRONMENT -> EnvName.of(value);
          case DEFAULT_IMAGE -> {
            if (value.isBlank()) {
              return Optional.of("must not be empty");
            }
          }
          case KERNEL -> {
            if (!value.isEmpty() && !Path.of(value).isAbsolute()) {
              return Optional.of("must be an absolute directory path, not " + value);
            }
          }
          case KERNEL_ARCHIVE -> {
            if (!value.isEmpty()
                && !value.strip().matches("(https?://|file:/)\\S+(\\s+\\S+)?")) {
              return Optional.of("must be 'URI [SUITE]' with an http, https or file URI, e.g. "
                  + "'https://mirror.example.org/debian stable', not '" + value + "'");
            }
          }
          case NETWORK -> NetworkSettings.parseNetwork(value, "the value");
          case FORWARD_PORTS -> NetworkSettings.parseBoolean(value, "the value");
          case IGNORE_PORTS -> NetworkSettings.parsePorts(value, "the value");
        }
        return Optional.empty();
      } catch (NumberFormatException e) {
        return Optional.of("expected a whole number, not '" + value + "'");
      } catch (EnvException e) {
        return Optional.of(e.getMessage());
      }
    }
  }

  /** Where an effective value comes from. */
  public enum Source {
    BUILT_IN("default"),
    FILE("config file"),
    ENVIRONMENT("LINUX_KERNEL");

    private final String label;

    Source(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Path file;
  private final Map<Key, String> fromFile;
  private final Optional<String> kernelOverride;

  private GlobalConfig(Path file, Map<Key, String> fromFile, Optional<String> kernelOverride) {
    this.file = file;
    this.fromFile = fromFile;
    this.kernelOverride = kernelOverride;
  }

  /** Reads the configuration of {@code home}; {@code env} may override the kernel (LINUX_KERNEL). */
  public static GlobalConfig load(LinuxHome home, Map<String, String> env) {
    Path file = home.config().resolve(FILE_NAME);
    String kernel = env.get("LINUX_KERNEL");
    Optional<String> override = kernel == null || kernel.isEmpty() ? Optional.empty() : Optional.of(kernel);
    try {
      return new GlobalConfig(file, parse(file, Files.readString(file, StandardCharsets.UTF_8)), override);
    } catch (NoSuchFileException e) {
      return new GlobalConfig(file, new EnumMap<>(Key.class), override);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw notText(file, e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The configuration file of {@code home} for {@link #set} and {@link #unset} only: its current
   * values are not checked, so that a bad value can be corrected (the result is checked).
   */
  public static GlobalConfig forEditing(LinuxHome home) {
    return new GlobalConfig(home.config().resolve(FILE_NAME), new EnumMap<>(Key.class), Optional.empty());
  }

  /** Parses the text of a configuration file; errors name {@code file}, the line and the key. */
  static Map<Key, String> parse(Path file, String text) {
    Map<Key, String> values = new EnumMap<>(Key.class);
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = file + ", line " + (i + 1);
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw invalid(where + ": expected key = value, not '" + line + "'");
      }
      String name = line.substring(0, eq).strip();
      Key key;
      try {
        key = Key.named(name);
      } catch (EnvException e) {
        throw invalid(where + ": " + e.getMessage());
      }
      String value = unquote(stripComment(line.substring(eq + 1).strip()));
      Optional<String> problem = key.problem(value);
      if (problem.isPresent()) {
        throw invalid(where + ": " + key.key() + ": " + problem.get());
      }
      values.put(key, value);
    }
    return values;
  }

  public Path file() {
    return file;
  }

  /** The value in effect for {@code key}. */
  public String value(Key key) {
    if (key == Key.KERNEL && kernelOverride.isPresent()) {
      return kernelOverride.get();
    }
    return fromFile.getOrDefault(key, key.builtInDefault());
  }

  public Source source(Key key) {
    if (key == Key.KERNEL && kernelOverride.isPresent()) {
      return Source.ENVIRONMENT;
    }
    return fromFile.containsKey(key) ? Source.FILE : Source.BUILT_IN;
  }

  public int cpus() {
    return Integer.parseInt(value(Key.CPUS));
  }

  public ByteSize memory() {
    return ByteSize.parse(value(Key.MEMORY));
  }

  public ByteSize disk() {
    return ByteSize.parse(value(Key.DISK));
  }

  /** Seconds without sessions before an environment stops; {@code -1} never. */
  public long idleTimeoutSeconds() {
    return Long.parseLong(value(Key.IDLE_TIMEOUT));
  }

  public EnvName defaultEnvironment() {
    return EnvName.of(value(Key.DEFAULT_ENVIRONMENT));
  }

  public String defaultImage() {
    return value(Key.DEFAULT_IMAGE);
  }

  /** The kernel directory to boot instead of the distribution's kernel. */
  public Optional<Path> kernel() {
    String kernel = value(Key.KERNEL);
    return kernel.isEmpty() ? Optional.empty() : Optional.of(Path.of(kernel));
  }

  /** The network settings of new environments ({@code network}, {@code forwardPorts}, {@code ignorePorts}). */
  public NetworkSettings networkDefaults() {
    return new NetworkSettings(
        NetworkSettings.parseNetwork(value(Key.NETWORK), Key.NETWORK.key()),
        NetworkSettings.parseBoolean(value(Key.FORWARD_PORTS), Key.FORWARD_PORTS.key()),
        NetworkSettings.parsePorts(value(Key.IGNORE_PORTS), Key.IGNORE_PORTS.key()));
  }

  /** What {@code linux create} uses for everything not given on its command line. */
  public CreateOptions createDefaults() {
    return new CreateOptions(defaultImage(), disk(), cpus(), memory());
  }

  /**
   * Sets {@code key} in the file (validated first), keeping every other line and comment; the file
   * is replaced atomically under a lock. Returns the configuration as it is now.
   */
  public GlobalConfig set(Key key, String value) {
    Optional<String> problem = key.problem(value);
    if (problem.isPresent()) {
      throw invalid(key.key() + ": " + problem.get());
    }
    return rewrite(key, Optional.of(value));
  }

  /** Removes {@code key} from the file, so its built-in default applies again. */
  public GlobalConfig unset(Key key) {
    return rewrite(key, Optional.empty());
  }

  private GlobalConfig rewrite(Key key, Optional<String> value) {
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel lockChannel =
              FileChannel.open(
              file.resolveSibling("." + FILE_NAME + ".lock"),
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
          FileLock lock = lockChannel.lock()) {
        String current;
        try {
          current = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
          current = "";
        } catch (java.nio.charset.CharacterCodingException e) {
          throw notText(file, e);
        }
        List<String> lines = new ArrayList<>();
        boolean written = false;
        for (String line : current.lines().toList()) {
          String stripped = line.strip();
          int eq = stripped.indexOf('=');
          boolean isKey = !stripped.startsWith("#") && eq > 0 && stripped.substring(0, eq).strip().equals(key.key());
          if (!isKey) {
            lines.add(line);
          } else if (value.isPresent() && !written) {
            lines.add(key.key() + " = " + value.get());
            written = true;
          }
        }
        if (value.isPresent() && !written) {
          lines.add(key.key() + " = " + value.get());
        }
        String text = lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
        Map<Key, String> values = parse(file, text); // the whole result must be valid
        writeAtomically(text);
        return new GlobalConfig(file, values, kernelOverride);
      }
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** "Input length = 1" says nothing: a binary or mis-encoded file is named as such. */
  private static EnvException notText(Path file, java.nio.charset.CharacterCodingException e) {
    return new EnvException(EnvException.Code.INVALID_ARGUMENT,
        file + " is not a UTF-8 text file; fix it or remove it", e);
  }

  private void writeAtomically(String text) throws IOException {
    AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A trailing {@code # comment} after whitespace, outside quotes, is not part of the value. */
  private static String stripComment(String value) {
    if (value.startsWith("\"")) {
      int close = value.indexOf('"', 1);
      return close > 0 ? value.substring(0, close + 1) : value;
    }
    int hash = value.indexOf(" #");
    int tab = value.indexOf("\t#");
    int cut = hash < 0 ? tab : tab < 0 ? hash : Math.min(hash, tab);
    return cut < 0 ? value : value.substring(0, cut).strip();
  }

  private static String unquote(String value) {
    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }

  private static EnvException invalid(String message) {
    return new EnvException(EnvException.Code.INVALID_ARGUMENT, message);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (Key k : Key.values()) {
      s.append(k.key()).append(" = ").append(value(k)).append(" (").append(source(k).label().toLowerCase(Locale.ROOT)).append(")\n");
    }
    return s.toString();
  }
}
