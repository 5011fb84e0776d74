package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostStdinTest {

  @TempDir Path dir;

  @Test
  void aDescriptorNamingAFileOfTheJdkIsTheJvmsOwn() throws Exception {
    Path jdk = Files.createDirectories(dir.resolve("jdk/lib"));
    Path modules = Files.writeString(jdk.resolve("modules"), "classes");
    Path fd = Files.createSymbolicLink(dir.resolve("0"), modules);
    assertTrue(HostStdin.isJvmOwnFile(fd, dir.resolve("jdk")));
  }

  @Test
  void aUsersFileOrPipeIsNot() throws Exception {
    Path jdk = Files.createDirectories(dir.resolve("jdk"));
    Path input = Files.writeString(dir.resolve("input.txt"), "data");
    assertFalse(HostStdin.isJvmOwnFile(Files.createSymbolicLink(dir.resolve("a"), input), jdk));
    assertFalse(HostStdin.isJvmOwnFile(Files.createSymbolicLink(dir.resolve("b"), Path.of("pipe:[1234]")), jdk));
    assertFalse(HostStdin.isJvmOwnFile(dir.resolve("missing"), jdk));
  }

  @Test
  void aJvmStartedWithStdinClosedReadsItAsEmpty() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = List.of("sh", "-c", "exec \"$@\" <&-", "sh", java, "-cp",
        System.getProperty("java.class.path"), StdinProbe.class.getName());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    assertEquals(0, p.waitFor(), out);
    assertEquals("0", out, "bytes read from a closed stdin");
  }

  /** Counts the bytes {@link HostStdin#open()} yields. */
  public static final class StdinProbe {
    public static void main(String[] args) throws Exception {
      System.out.println(HostStdin.open().transferTo(java.io.OutputStream.nullOutputStream()));
    }
  }
}
