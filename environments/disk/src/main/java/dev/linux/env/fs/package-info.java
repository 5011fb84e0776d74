/**
 * The vocabulary shared by everything that produces a filesystem tree (image layers, rootfs
 * tarballs) and everything that stores one (the EXT4 writer): {@link dev.linux.env.fs.FileTreeSink}
 * and {@link dev.linux.env.fs.FileMeta}.
 */
package dev.linux.env.fs;
