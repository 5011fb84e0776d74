/**
 * OCI images on the host side: references as users type them ({@link dev.linux.env.image.ImageRef}),
 * content digests, the OCI image layout used as the local content store
 * ({@link dev.linux.env.image.OciLayout} to read, {@link dev.linux.env.image.OciLayoutWriter} to
 * write), and the appliers that stream image layers or rootfs tarballs into a
 * {@link dev.linux.env.fs.FileTreeSink} ({@link dev.linux.env.image.ImageApplier},
 * {@link dev.linux.env.image.RootfsTarball}). Images made without a registry live here too: the
 * host-release default image ({@link dev.linux.env.image.DebianBootstrap}) and the busybox test
 * image ({@code dev.linux.env.testing.BusyboxImage}). Everything read is verified against its digest;
 * failures surface as one-line {@link dev.linux.env.image.ImageException}s.
 */
package dev.linux.env.image;
