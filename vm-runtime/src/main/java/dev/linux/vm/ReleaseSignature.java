package dev.linux.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Checks a suite's Release signature with {@code gpgv}, as apt does: against the source's {@code
 * Signed-By} keyring when it names one, else apt's trusted keyrings ({@code /etc/apt/trusted.gpg},
 * {@code trusted.gpg.d/*.gpg}) and Debian's archive keyring. A bad signature fails; when gpgv or
 * every keyring is missing (e.g. macOS, or a configured archive on a host without apt) the check
 * is skipped with one notice: the index and package checksums still hold, the signature is a bonus.
 */
final class ReleaseSignature implements DebianArchive.SignatureCheck {
  private static final Path DEBIAN_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");

  private final Path etcApt;
  private final CommandRunner runner;
  private final Consumer<String> progress;
  private boolean noticed;

  ReleaseSignature(Path etcApt, CommandRunner runner, Consumer<String> progress) {
    this.etcApt = etcApt;
    this.runner = runner;
    this.progress = progress;
  }

  @Override
  public void verify(AptSources.Source source, Path signed, Optional<Path> detached)
      throws IOException, InterruptedException {
    List<Path> keyrings = keyrings(source);
    boolean clearSigned = Files.readString(signed).startsWith("-----BEGIN PGP SIGNED MESSAGE-----");
    if (keyrings.isEmpty() || (!clearSigned && detached.isEmpty())) {
      notice(source + ": Release signature not checked ("
          + (keyrings.isEmpty() ? "no keyring found" : "the suite is unsigned") + ")");
      return;
    }
    List<String> command = new ArrayList<>(List.of("gpgv", "--quiet"));
    for (Path k : keyrings) {
      command.addAll(List.of("--keyring", k.toString()));
    }
    detached.ifPresent(sig -> command.add(sig.toString()));
    command.add(signed.toString());
    CommandRunner.Result result;
    try {
      result = runner.run(command, signed.getParent());
    } catch (IOException e) {
      notice(source + ": Release signature not checked (gpgv is not available)");
      return;
    }
    if (result.exitCode() != 0) {
      throw new IOException(source + ": bad or unknown Release signature (gpgv: "
          + result.lastErrorLine() + ")");
    }
  }

  List<Path> keyrings(AptSources.Source source) throws IOException {
    if (source.signedBy().isPresent()) {
      return Files.isRegularFile(source.signedBy().get()) ? List.of(source.signedBy().get()) : List.of();
    }
    List<Path> keyrings = new ArrayList<>();
    Path trusted = etcApt.resolve("trusted.gpg");
    if (Files.isRegularFile(trusted)) {
      keyrings.add(trusted);
    }
    Path dir = etcApt.resolve("trusted.gpg.d");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().endsWith(".gpg")).sorted().forEach(keyrings::add);
      }
    }
    if (Files.isRegularFile(DEBIAN_KEYRING)) {
      keyrings.add(DEBIAN_KEYRING);
    }
    return keyrings;
  }

  private void notice(String line) {
    if (!noticed) {
      noticed = true;
      progress.accept(line);
    }
  }
}
