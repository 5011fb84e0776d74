/**
 * Writes EXT4 disk images directly from Java, without root, loop devices or mkfs:
 * {@link dev.linux.env.ext4.Ext4Writer} is a {@link dev.linux.env.fs.FileTreeSink} that streams
 * file content into the data blocks of a sparse image file and keeps only the tree's metadata in
 * memory; on close it lays out directories, inodes, extent trees, bitmaps, group descriptors,
 * superblocks (with sparse_super copies) and an empty jbd2 journal, with every bitmap and inode
 * table packed at the front of the disk (flex_bg) so data stays contiguous.
 * {@link dev.linux.env.ext4.Ext4Reader} is a deliberately small reader for exactly the features the
 * writer produces, used to verify images by reading them back.
 */
package dev.linux.env.ext4;
