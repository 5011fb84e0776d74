package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's ahead-of-time cache, made by the launcher's own shell functions
 * ({@code bin/lib/host.sh}) from the built jars: the training run succeeds against its scratch
 * daemon, the cache appears, and a JVM told to insist on it ({@code -XX:AOTMode=on}, which fails
 * when the cache cannot be used) runs the CLI with it. The training refuses to run without a
 * scratch {@code LINUX_HOME}, so it can never touch a user's environments.
 */
class StartupCacheIT {

  @TempDir Path work;

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  private static CliProcess.Result bash(String script) throws Exception {
    return TestResources.host("bash", "-c", "set -euo pipefail; source '" + ROOT + "/bin/lib/host.sh'; root='" + ROOT + "'; " + script);
  }

  @Test
  void theTrainedCacheIsUsableByTheCli() throws Exception {
    var major = bash("linux_java_major \"$(linux_find_jdk)\"");
    assumeTrue(major.exit() == 0 && Integer.parseInt(major.out().strip()) >= 25, "ahead-of-time caches need JDK 25: " + major);

    var made = bash("""
        jdk=$(linux_find_jdk)
        rm -f "$(linux_aot_cache "$root" "$jdk")"
        linux_train_aot "$root" "$jdk"
        cache=$(linux_current_aot_cache "$root" "$jdk")
        [[ -n $cache ]] || { echo 'no cache made'; exit 3; }
        "$jdk/bin/java" $(linux_jvm_options "$jdk" "$cache") -XX:AOTMode=on -cp "$(linux_cli_classpath "$root")" dev.linux.cli.Main --version
        """);
    assertEquals(0, made.exit(), made.toString());
    assertTrue(made.out().startsWith("linux "), made.toString());
  }

  @Test
  void trainingRefusesToRunOnTheUsersHome() throws Exception {
    Path home = Files.createDirectories(work.resolve("home"));
    var refused = bash("env -u LINUX_HOME HOME='" + home + "' \"$(linux_find_jdk)/bin/java\" -cp \"$(linux_cli_classpath \"$root\")\" dev.linux.cli.StartupTraining");
    assertNotEquals(0, refused.exit(), refused.toString());
    assertTrue(refused.out().contains("set LINUX_HOME"), refused.toString());
    try (var files = Files.list(home)) {
      assertEquals(0, files.count(), "the refused training wrote into HOME");
    }
  }
}
