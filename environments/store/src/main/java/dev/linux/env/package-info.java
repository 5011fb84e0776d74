/**
 * Environments as users see them: names, records and their crash-safe store, the data directory
 * layout, configuration, and the lifecycle facade ({@link dev.linux.env.Environments}) that ties
 * images, disks and VMs together. Errors leave this package as {@link dev.linux.env.EnvException}.
 */
package dev.linux.env;
