/**
 * The per-user daemon: one process per linux home that owns the running environments, serves a
 * small gRPC API and relays guest-agent calls on a Unix socket in the private runtime directory,
 * shares one agent connection per VM among all sessions, serialises lifecycle operations, adopts
 * VMs after its own restart, keeps guest clocks in step and stops idle environments. {@link
 * dev.linux.env.daemon.DaemonClient} is the CLI's side.
 */
package dev.linux.env.daemon;
