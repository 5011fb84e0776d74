package dev.linux.cli;

import dev.linux.env.EnvName;
import dev.linux.env.Environments;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "cp",
    description = {
      "Copy a regular file between the host and an environment.",
      "NAME:PATH is a file in environment NAME (PATH absolute), booted if needed;",
      "anything else is a host path (write ./a:b for a host file whose name has a",
      "colon). '-' is stdin or stdout.",
      "",
      "  linux cp notes.txt dev:/root/           into dev's /root, keeping the name",
      "  linux cp dev:/etc/os-release .          out of dev, into this directory",
      "  linux run dev -- make && linux cp dev:/src/app/out.bin - | sha256sum",
      "",
      "A new file in the environment gets the owner of its directory; an existing one",
      "keeps its owner. Permission bits come from the source."
    })
final class CopyCommand implements Callable<Integer> {

  private static final Pattern GUEST = Pattern.compile("([a-z0-9][a-z0-9-]*):(.+)");

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE")
  String source;

  @Parameters(index = "1", paramLabel = "TARGET")
  String target;

  /** One side of a copy: a file in an environment, or on the host when {@code env} is null. */
  record Location(EnvName env, String path) {
    static Location parse(String text) {
      Matcher m = GUEST.matcher(text);
      return m.matches() ? new Location(EnvName.of(m.group(1)), m.group(2)) : new Location(null, text);
    }

    boolean inGuest() {
      return env != null;
    }
  }

  @Override
  public Integer call() throws Exception {
    Location from = Location.parse(source);
    Location to = Location.parse(target);
    if (from.inGuest() == to.inGuest()) {
      throw new IllegalArgumentException(
          "copy between the host and an environment: one of SOURCE and TARGET is NAME:PATH, the other a host path");
    }
    Environments environments = CliEnvironment.environments(spec.commandLine().getErr(), false);
    if (to.inGuest()) {
      if (from.path().equals("-")) {
        environments.copyToGuest(to.env(), HostStdin.open(), to.path(), OptionalInt.empty(), "");
        return 0;
      }
      Path file = Path.of(from.path());
      if (!Files.isRegularFile(file)) {
        throw Files.exists(file)
            ? new dev.linux.env.EnvException(dev.linux.env.EnvException.Code.INVALID_ARGUMENT, file + " is not a regular file")
            : new dev.linux.env.EnvException(dev.linux.env.EnvException.Code.NOT_FOUND, "no such file: " + file);
      }
      try (InputStream in = Files.newInputStream(file)) {
        environments.copyToGuest(to.env(), in, to.path(), OptionalInt.of(permissionBits(file)), file.getFileName().toString());
      }
      return 0;
    }
    if (to.path().equals("-")) {
      OutputStream out = new FileOutputStream(FileDescriptor.out);
      environments.copyFromGuest(from.env(), from.path(), out);
      out.flush();
      return 0;
    }
    environments.copyFromGuest(from.env(), from.path(), Path.of(to.path()));
    return 0;
  }

  private static int permissionBits(Path file) throws java.io.IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    int bits = 0;
    for (PosixFilePermission p : perms) {
      bits |= 0400 >> p.ordinal();
    }
    return bits;
  }
}
