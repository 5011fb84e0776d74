package dev.linux.vm.internal;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.util.AsciiString;
import java.time.Duration;

/**
 * gRPC's plaintext negotiation with vminitd's session hello in front: once the connection is
 * active, a {@link HelloHandler} runs the hello, then hands the connection to gRPC's HTTP/2
 * handler. Writes gRPC makes meanwhile wait in gRPC's own buffer, behind the hello.
 */
final class HelloNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private static final AsciiString HTTP = AsciiString.of("http");
  private final Duration helloTimeout;

  HelloNegotiator(Duration helloTimeout) {
    this.helloTimeout = helloTimeout;
  }

  /** The factory a channel builder takes: one negotiator per channel. */
  static InternalProtocolNegotiator.ClientFactory factory(Duration helloTimeout) {
    return new InternalProtocolNegotiator.ClientFactory() {
      @Override
      public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
        return new HelloNegotiator(helloTimeout);
      }

      @Override
      public int getDefaultPort() {
        return 80;
      }
    };
  }

  @Override
  public AsciiString scheme() {
    return HTTP;
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler http2 = InternalProtocolNegotiators.grpcNegotiationHandler(grpcHandler);
    return InternalProtocolNegotiators.waitUntilActiveHandler(
        new HelloHandler(http2, helloTimeout), grpcHandler.getNegotiationLogger());
  }

  @Override
  public void close() {}
}
