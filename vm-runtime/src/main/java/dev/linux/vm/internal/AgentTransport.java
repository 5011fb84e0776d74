package dev.linux.vm.internal;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;

/**
 * gRPC channels over a Unix socket with netty's epoll transport. One small event loop of daemon
 * threads serves every channel of the process and is created on first use, so a client that never
 * talks to a guest pays nothing and one that does never keeps the JVM alive.
 */
final class AgentTransport {
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private AgentTransport() {}

  private static final class Loop {
    static final EventLoopGroup GROUP =
        new EpollEventLoopGroup(1, new DefaultThreadFactory("guest-agent", true));
  }

  static ManagedChannel channel(Path socket) {
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(Loop.GROUP)
        .usePlaintext()
        .overrideAuthority("localhost")
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build();
  }
}
