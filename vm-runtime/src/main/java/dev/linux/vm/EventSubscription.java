package dev.linux.vm;

/** A running {@link GuestAgent#events} subscription; closing it ends the stream. */
public interface EventSubscription extends AutoCloseable {
  /** True while the stream runs (false after close, or once the agent connection ended). */
  boolean isActive();

  @Override
  void close();
}
