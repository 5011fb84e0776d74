package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** `linux enter` in a real terminal (tmux), typed at like a person would. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnterIT {

  @TempDir static Path work;
  static CliProcess cli;

  @BeforeAll
  static void setUp() throws Exception {
    cli = new CliProcess(System.getProperty("java.class.path"), work.resolve("home"), TestResources.kernelDir(), null)
        .env("TERM", "xterm-256color");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (cli != null) {
      cli.run("rm", "--force", "shell");
      cli.run("rm", "--force", "dev");
    }
  }

  @Test
  @Order(1)
  void interactiveShellOnAGuestPty() throws Exception {
    Path image = TestResources.busyboxLayout(Files.createDirectories(work.resolve("image")));
    var created = cli.run("create", "shell", "--image", "oci:" + image + ":" + TestResources.BUSYBOX_TAG,
        "--disk", "128M", "--memory", "256M", "--cpus", "1");
    assertEquals(0, created.exit(), created.toString());

    try (Tmux tmux = new Tmux("linux-enter-it", 100, 30, cli.command("enter", "shell"))) {
      tmux.await(s -> s.contains("~ #"), 180, "the shell prompt");
      tmux.type("echo $((6*7))");
      tmux.enter();
      tmux.await(s -> s.contains("\n42"), 30, "the shell's answer");
      tmux.type("stty size");
      tmux.enter();
      tmux.await(s -> s.contains("30 100"), 30, "the terminal size seen by the guest");
      tmux.type("tty");
      tmux.enter();
      tmux.await(s -> s.contains("/dev/pts/"), 30, "a pty");
      // Ctrl-C interrupts the guest's foreground command, not the CLI.
      tmux.type("sleep 100");
      tmux.enter();
      Thread.sleep(1000);
      tmux.keys("C-c");
      tmux.type("echo status=$?");
      tmux.enter();
      tmux.await(s -> s.contains("status=130"), 30, "the interrupted command's status");
      tmux.type("exit 5");
      tmux.enter();
      String screen = tmux.await(s -> s.contains("EXITED:"), 30, "the CLI to exit");
      assertTrue(screen.contains("EXITED:5"), screen);
    }
  }

  /** Issue 16, defect 5: without a terminal, enter used to hang after EOF behind JLine's warnings. */
  @Test
  @Order(2)
  void withoutATerminalTheShellReadsStdinAndEndsAtEof() throws Exception {
    assertTrue(cli.run("list").out().contains("shell"), "the environment of the test before");
    long started = System.nanoTime();
    var piped = cli.run("echo hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), "enter", "shell");
    assertEquals(0, piped.exit(), piped.toString());
    assertEquals("hi\n", piped.out(), piped.toString());
    assertEquals("", piped.stderr(), piped.toString());

    var empty = cli.run(new byte[0], "enter", "shell");
    assertEquals(0, empty.exit(), empty.toString());
    assertEquals("", empty.out(), empty.toString());
    assertEquals("", empty.stderr(), empty.toString());

    var status = cli.run("exit 3\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), "enter", "shell");
    assertEquals(3, status.exit(), status.toString());
    assertTrue(System.nanoTime() - started < 120_000_000_000L, "ends promptly at EOF");
  }

  @Test
  @Order(3)
  void enterCreatesTheDefaultDebianEnvironment() throws Exception {
    try (Tmux tmux = new Tmux("linux-enter-dev-it", 120, 30, cli.command("enter", "dev"))) {
      tmux.await(s -> s.contains("root@dev"), 900, "a Debian shell prompt");
      tmux.type("grep ^ID= /etc/os-release; bash --version | head -1");
      tmux.enter();
      String screen = tmux.await(s -> s.contains("GNU bash"), 60, "bash in Debian");
      assertTrue(screen.contains("ID=debian"), screen);
      tmux.type("exit");
      tmux.enter();
      screen = tmux.await(s -> s.contains("EXITED:"), 30, "the CLI to exit");
      assertTrue(screen.contains("EXITED:0"), screen);
    }
    var list = cli.run("list");
    assertTrue(list.out().contains("dev"), list.toString());
    assertTrue(list.out().contains("debian:"), list.toString());
  }
}
