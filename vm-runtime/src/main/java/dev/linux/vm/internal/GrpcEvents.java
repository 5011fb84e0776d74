package dev.linux.vm.internal;

import dev.linux.guest.proto.EventsRequest;
import dev.linux.guest.proto.EventsResponse;
import dev.linux.guest.proto.GuestAgentGrpc;
import dev.linux.vm.EventSubscription;
import dev.linux.vm.GuestEvent;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The Events stream: one call, cancelled by closing the subscription. */
final class GrpcEvents implements EventSubscription {
  private static final Logger LOG = Logger.getLogger(GrpcEvents.class.getName());

  private final Context.CancellableContext call = Context.current().withCancellation();
  private final AtomicBoolean active = new AtomicBoolean(true);

  private GrpcEvents() {}

  static EventSubscription start(GuestAgentGrpc.GuestAgentStub async, Consumer<GuestEvent> listener) {
    GrpcEvents events = new GrpcEvents();
    events.call.run(
        () ->
            async
                .withWaitForReady()
                .events(
                    EventsRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(EventsResponse r) {
                        toEvent(r).ifPresent(e -> deliver(listener, e));
                      }

                      @Override
                      public void onError(Throwable t) {
                        events.active.set(false);
                      }

                      @Override
                      public void onCompleted() {
                        events.active.set(false);
                      }
                    }));
    return events;
  }

  private static void deliver(Consumer<GuestEvent> listener, GuestEvent event) {
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "guest event listener failed on " + event, e);
    }
  }

  static Optional<GuestEvent> toEvent(EventsResponse r) {
    Instant time = Instant.ofEpochSecond(0, r.getTimeNanos());
    return switch (r.getKindCase()) {
      case PORT -> {
        var p = r.getPort();
        yield Optional.of(new GuestEvent.PortChanged(
            time, p.getProtocol(), p.getIpv6(), p.getAddress(), p.getPort(), p.getOpen()));
      }
      case OOM_KILL -> {
        var o = r.getOomKill();
        yield Optional.of(new GuestEvent.OomKilled(time, o.getPid(), o.getCommand(), o.getMessage()));
      }
      case PROCESS_EXIT -> {
        var x = r.getProcessExit();
        yield Optional.of(new GuestEvent.ProcessExited(
            time, x.getPid(), x.getStatus(), x.getSignal(), x.getArgsList()));
      }
      case KIND_NOT_SET -> Optional.empty(); // a newer guest's event kind
    };
  }

  @Override
  public boolean isActive() {
    return active.get();
  }

  @Override
  public void close() {
    active.set(false);
    call.cancel(null);
  }
}
