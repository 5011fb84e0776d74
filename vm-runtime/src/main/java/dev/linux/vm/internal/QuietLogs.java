package dev.linux.vm.internal;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps gRPC's and netty's java.util.logging output off the user's terminal.
 *
 * <p>grpc-netty sets {@code SO_KEEPALIVE} on every client channel it creates, and netty's
 * Unix-domain channel does not know that option, so every connection logged a warning; gRPC
 * offers no way to leave the option out, so that one message is filtered. Beyond it, unless the
 * process configures java.util.logging itself, only SEVERE messages of these libraries pass: the
 * client reports every failure that matters to its caller as an {@code AgentException}.
 */
public final class QuietLogs {
  /** Held so that the configured loggers are not collected and reset. */
  private static final List<Logger> LOGGERS =
      List.of(
          Logger.getLogger("io.netty.bootstrap.Bootstrap"),
          Logger.getLogger("io.grpc"),
          Logger.getLogger("io.netty"));

  private QuietLogs() {}

  public static void install() {
    Logger bootstrap = LOGGERS.get(0);
    bootstrap.setFilter(
        record ->
            record.getMessage() == null
                || !(record.getMessage().startsWith("Unknown channel option 'SO_KEEPALIVE'")
                    && record.getMessage().contains("DomainSocketChannel")));
    boolean configured =
        System.getProperty("java.util.logging.config.file") != null
            || System.getProperty("java.util.logging.config.class") != null;
    if (!configured) {
      for (Logger logger : LOGGERS.subList(1, LOGGERS.size())) {
        if (logger.getLevel() == null) {
          logger.setLevel(Level.SEVERE);
        }
      }
    }
  }
}
