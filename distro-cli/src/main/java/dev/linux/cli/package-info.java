/**
 * The {@code linux} command: one thin picocli {@code Callable} per subcommand over the
 * {@code environments} and {@code shell-integration} APIs, with failures translated once into one
 * line and an exit status ({@link dev.linux.cli.ErrorReporter}, {@link dev.linux.cli.UsageErrorReporter}).
 */
package dev.linux.cli;
