/**
 * Writes EXT4 disk images directly from Java, without root, loop devices or mkfs:
 * {@link dev.linux.env.ext4.Ext4Writer} is a {@link dev.linux.env.fs.FileTreeSink} that streams
 * file content into the data blocks of a sparse image file and keeps only the tree's metadata in
 * memory; on close it lays out directories (hashed, dir_index, when larger than one block),
 * inodes with their extended attributes (in the inode, else in a shared xattr block), extent
 * trees, bitmaps, group descriptors, superblocks (with sparse_super copies) and an empty jbd2
 * journal, with every bitmap and inode table packed at the front of the disk (flex_bg) so data
 * stays contiguous. Every piece of metadata carries its metadata_csum checksum (CRC-32C seeded
 * with the UUID); untouched groups are flagged uninitialised so the kernel and e2fsck skip them.
 * The journal superblock carries no checksum feature, as mke2fs leaves it.
 * {@link dev.linux.env.ext4.Ext4Resizer} grows such an image in place (meta_bg once the
 * descriptor blocks are full). {@link dev.linux.env.ext4.Ext4Reader} is a deliberately small
 * reader for exactly the features the writer produces, verifying checksums as it reads, used to
 * check images by reading them back.
 */
package dev.linux.env.ext4;
