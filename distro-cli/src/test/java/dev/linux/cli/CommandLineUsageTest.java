package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * Argument errors and exit statuses of every command, run in-process ({@link Main#newCommandLine()}
 * with captured output). The statuses are the README's: 0 for {@code --help} (usage on stdout),
 * 2 for a usage error (one {@code linux: ...} line on stderr), and for {@code run} and {@code
 * enter}, whose own failures must not look like the guest command's status, 125.
 *
 * <p>Every case is in {@link #cases()}: the generated ones (for each command in the tree: {@code
 * --help}, an unknown option, required arguments left out) and a table of bad names, sizes and
 * numbers. Adjust the statuses or add rows there.
 *
 * <p>Cases that run a command's body (a bad name or size is checked there) need an instance of
 * their own: surefire sets {@code LINUX_HOME} to a directory under {@code target/} and {@code
 * LINUX_NO_DAEMON=1}, so nothing touches the user's environments or starts a daemon.
 */
class CommandLineUsageTest {

  /** Exit statuses, as the README documents them. */
  static final int OK = 0;

  static final int USAGE = 2;
  static final int RUNNER_FAILED = 125;

  /** What a case expects besides its status. */
  enum Output {
    /** The command's usage on stdout, nothing on stderr. */
    USAGE_ON_STDOUT,
    /** One {@code linux: } line on stderr that mentions {@link Case#mentions}, nothing on stdout. */
    ONE_ERROR_LINE
  }

  record Case(List<String> args, int status, Output output, String mentions) {
    static Case help(List<String> path) {
      return new Case(append(path, "--help"), OK, Output.USAGE_ON_STDOUT, "Usage: linux " + String.join(" ", path));
    }

    static Case error(int status, String mentions, String... args) {
      return new Case(List.of(args), status, Output.ONE_ERROR_LINE, mentions);
    }

    @Override
    public String toString() {
      return "linux " + String.join(" ", args) + " -> " + status;
    }
  }

  /** A name EnvName refuses (uppercase and an underscore). */
  private static final String BAD_NAME = "Bad_Name";

  /** A name EnvName refuses that still looks like one (49 characters, one too many). */
  private static final String TOO_LONG = "x".repeat(49);

  /** Bad names, sizes and numbers, one row each: the arguments and the status expected. */
  static List<Case> table() {
    return List.of(
        // bad environment names
        Case.error(USAGE, BAD_NAME, "create", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "start", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "stop", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "restart", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "rm", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "logs", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "inspect", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "set", BAD_NAME, "--cpus", "2"),
        Case.error(USAGE, BAD_NAME, "set-default", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "ports", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "resize", BAD_NAME, "64G"),
        Case.error(USAGE, BAD_NAME, "rename", BAD_NAME, "ok"),
        Case.error(USAGE, BAD_NAME, "rename", "ok", BAD_NAME),
        Case.error(USAGE, BAD_NAME, "clone", BAD_NAME, "ok"),
        Case.error(USAGE, BAD_NAME, "export", BAD_NAME, "out.tar"),
        Case.error(USAGE, BAD_NAME, "import", BAD_NAME, "rootfs.tar"),
        Case.error(RUNNER_FAILED, BAD_NAME, "run", BAD_NAME, "--", "true"),
        Case.error(RUNNER_FAILED, BAD_NAME, "enter", BAD_NAME),
        Case.error(USAGE, TOO_LONG, "cp", TOO_LONG + ":/etc/hostname", "/tmp/hostname"),
        // bad sizes
        Case.error(USAGE, "12Q", "create", "dev", "--disk", "12Q"),
        Case.error(USAGE, "lots", "create", "dev", "--memory", "lots"),
        Case.error(USAGE, "12Q", "resize", "dev", "12Q"),
        Case.error(USAGE, "G", "resize", "dev", "G"),
        Case.error(USAGE, "12Q", "set", "dev", "--memory", "12Q"),
        Case.error(USAGE, "12Q", "import", "dev", "rootfs.tar", "--disk", "12Q"),
        // bad numbers and booleans (picocli's own conversion)
        Case.error(USAGE, "many", "create", "dev", "--cpus", "many"),
        Case.error(USAGE, "soon", "stop", "dev", "-t", "soon"),
        Case.error(USAGE, "maybe", "set", "dev", "--systemd", "maybe"),
        // bad network settings
        Case.error(USAGE, "bogus", "create", "dev", "--network", "bogus"),
        Case.error(USAGE, "x", "create", "dev", "--ignore-ports", "22,x"),
        Case.error(USAGE, "70000", "set", "dev", "--ignore-ports", "70000"),
        Case.error(USAGE, "0", "set", "dev", "--ignore-ports", "0"),
        Case.error(USAGE, "maybe", "set", "dev", "--forward-ports", "maybe"),
        // a missing option value, and an extra argument
        Case.error(USAGE, "--image", "create", "dev", "--image"),
        Case.error(USAGE, "extra", "start", "dev", "extra"));
  }

  /** Every command of the tree (by its path), except picocli's {@code help}. */
  static Map<List<String>, CommandLine> commands() {
    Map<List<String>, CommandLine> found = new java.util.LinkedHashMap<>();
    collect(Main.newCommandLine(), List.of(), found, new IdentityHashMap<>());
    return found;
  }

  private static void collect(
      CommandLine cli, List<String> path, Map<List<String>, CommandLine> found, Map<Object, Boolean> seen) {
    if (seen.put(cli.getCommandSpec(), true) != null || cli.getCommand() instanceof CommandLine.HelpCommand) {
      return; // an alias of a command already listed, or `help`
    }
    found.put(path, cli);
    for (CommandLine sub : cli.getSubcommands().values()) {
      collect(sub, append(path, sub.getCommandName()), found, seen);
    }
  }

  /** Generated for each command: --help, an unknown option, and its required arguments left out. */
  static List<Case> generated() {
    List<Case> cases = new ArrayList<>();
    commands().forEach((path, cli) -> {
      cases.add(Case.help(path));
      // What the command requires is given, so that the unknown option is the one mistake.
      List<String> unknown = new ArrayList<>(append(path, "--no-such-option"));
      unknown.addAll(requiredArguments(cli));
      int usage = usageStatus(path);
      cases.add(new Case(List.copyOf(unknown), usage, Output.ONE_ERROR_LINE, "--no-such-option"));
      boolean requiresSomething = cli.getCommandSpec().args().stream().anyMatch(ArgSpec::required);
      if (requiresSomething) {
        cases.add(new Case(path, usage, Output.ONE_ERROR_LINE, "missing"));
      }
    });
    return cases;
  }

  /** A usage error's status: 125 for run and enter, whose own statuses are the guest's. */
  private static int usageStatus(List<String> path) {
    return path.equals(List.of("run")) || path.equals(List.of("enter")) ? RUNNER_FAILED : USAGE;
  }

  /** Placeholder values for a command's required options and positional parameters. */
  private static List<String> requiredArguments(CommandLine cli) {
    List<String> args = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : cli.getCommandSpec().options()) {
      if (o.required()) {
        args.add(o.longestName());
        for (int i = 0; i < Math.max(1, o.arity().min()); i++) {
          args.add("x");
        }
      }
    }
    for (CommandLine.Model.PositionalParamSpec p : cli.getCommandSpec().positionalParameters()) {
      for (int i = 0; i < p.arity().min(); i++) {
        args.add("x");
      }
    }
    return args;
  }

  static Stream<Case> cases() {
    return Stream.concat(generated().stream(), table().stream());
  }

  @BeforeAll
  static void anInstanceOfItsOwn() {
    String home = System.getenv("LINUX_HOME");
    assertTrue(home != null && Path.of(home).toAbsolutePath().toString().contains("target"),
        "run through surefire, which sets LINUX_HOME under target/ (got " + home + ")");
    assertEquals("1", System.getenv("LINUX_NO_DAEMON"), "surefire sets LINUX_NO_DAEMON=1");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void exitStatusAndOutput(Case c) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));

    int status = cli.execute(c.args().toArray(String[]::new));

    String shown = "\nstdout: " + out + "\nstderr: " + err;
    assertEquals(c.status(), status, "exit status of " + c + shown);
    switch (c.output()) {
      case USAGE_ON_STDOUT -> {
        assertTrue(out.toString().startsWith(c.mentions()), "usage on stdout" + shown);
        assertEquals("", err.toString(), "nothing on stderr" + shown);
      }
      case ONE_ERROR_LINE -> {
        List<String> lines = err.toString().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr" + shown);
        assertTrue(lines.get(0).startsWith("linux: "), shown);
        assertTrue(lines.get(0).toLowerCase(java.util.Locale.ROOT)
            .contains(c.mentions().toLowerCase(java.util.Locale.ROOT)), "names " + c.mentions() + shown);
        assertEquals("", out.toString(), "nothing on stdout" + shown);
      }
    }
  }

  /** The table reaches every command that takes an environment name, so none is forgotten. */
  @org.junit.jupiter.api.Test
  void everyCommandTakingANameHasABadNameRow() {
    List<String> withBadName = table().stream()
        .filter(c -> c.args().stream().anyMatch(a -> a.equals(BAD_NAME) || a.startsWith(TOO_LONG)))
        .map(c -> c.args().get(0)).distinct().toList();
    List<String> takingAName = commands().entrySet().stream()
        .filter(e -> e.getKey().size() == 1)
        .filter(e -> e.getValue().getCommandSpec().positionalParameters().stream()
            .anyMatch(p -> Arrays.asList("NAME", "OLD", "SOURCE", "[NAME] [--] COMMAND").contains(p.paramLabel())))
        .map(e -> e.getKey().get(0))
        .toList();
    List<String> missing = takingAName.stream().filter(n -> !withBadName.contains(n)).toList();
    assertEquals(List.of(), missing, "commands taking a NAME with no bad-name row in table()");
  }

  private static List<String> append(List<String> path, String arg) {
    List<String> l = new ArrayList<>(path);
    l.add(arg);
    return List.copyOf(l);
  }
}
