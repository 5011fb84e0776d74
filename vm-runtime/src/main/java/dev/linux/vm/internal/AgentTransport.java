package dev.linux.vm.internal;

import io.grpc.ManagedChannel;
import io.grpc.netty.InternalNettyChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * gRPC channels over a Unix socket with netty's epoll transport. One small event loop of daemon
 * threads serves every channel of the process and is created on first use, so a client that never
 * talks to a guest pays nothing and one that does never keeps the JVM alive.
 *
 * <p>Every connection starts with vminitd's session hello ({@link HelloNegotiator}) before HTTP/2.
 */
final class AgentTransport {
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private AgentTransport() {}

  private static final class Loop {
    static final EventLoopGroup GROUP;

    static {
      QuietLogs.install();
      GROUP = new EpollEventLoopGroup(1, new DefaultThreadFactory("guest-agent", true));
    }
  }

  static ManagedChannel channel(Path socket, Duration helloTimeout) {
    EventLoopGroup group = Loop.GROUP;
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(group)
            .overrideAuthority("localhost")
            .maxInboundMessageSize(MAX_MESSAGE_BYTES);
    InternalNettyChannelBuilder.setProtocolNegotiatorFactory(
        builder, HelloNegotiator.factory(helloTimeout));
    return builder.build();
  }

  /**
   * Keeps gRPC's and netty's java.util.logging output off the user's terminal.
   *
   * <p>grpc-netty sets {@code SO_KEEPALIVE} on every client channel it creates, and netty's
   * Unix-domain channel does not know that option, so every connection logged a warning; gRPC
   * offers no way to leave the option out, so that one message is filtered. Beyond it, unless the
   * process configures java.util.logging itself, only SEVERE messages of these libraries pass: the
   * client reports every failure that matters to its caller as an {@code AgentException}.
   */
  static final class QuietLogs {
    /** Held so that the configured loggers are not collected and reset. */
    private static final List<Logger> LOGGERS =
        List.of(
            Logger.getLogger("io.netty.bootstrap.Bootstrap"),
            Logger.getLogger("io.grpc"),
            Logger.getLogger("io.netty"));

    private QuietLogs() {}

    static void install() {
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
}
