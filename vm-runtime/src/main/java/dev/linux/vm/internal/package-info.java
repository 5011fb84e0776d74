/**
 * The gRPC side of the guest agent client: channels over the agent's Unix socket (netty epoll),
 * the Exec stream with flow control both ways, the per-VM session lock, and the one mapping from
 * gRPC status to {@link dev.linux.vm.AgentException}. Internal: other modules must not use it.
 */
package dev.linux.vm.internal;
