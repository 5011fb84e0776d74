package dev.linux.vm.internal;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
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
import java.util.concurrent.TimeUnit;
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
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            // A connection to a guest is never dropped for idleness: it may be shared for days,
            // and each reconnect would cost a session hello.
            .idleTimeout(30, TimeUnit.DAYS);
    InternalNettyChannelBuilder.setProtocolNegotiatorFactory(
        builder, HelloNegotiator.factory(helloTimeout));
    return builder.build();
  }

  /** A plain HTTP/2 channel to a relay's socket; every call carries {@code header: value}. */
  static ManagedChannel relayChannel(Path socket, String header, String value) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER), value);
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(Loop.GROUP)
        .usePlaintext()
        .overrideAuthority("localhost")
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
        .build();
  }
}
