/**
 * Pulls images from registries speaking the OCI distribution API: reference to URL mapping,
 * content negotiation over the four manifest media types, platform selection, the anonymous,
 * basic and bearer-token authentication flows with credentials from docker's
 * {@code config.json}, retries with backoff, resumed blob downloads, and verification of every
 * blob against its digest before it enters the {@link dev.linux.env.image.ImageStore}.
 * {@link dev.linux.env.registry.Images} is the facade the CLI and the lifecycle use.
 */
package dev.linux.env.registry;
