package dev.linux.env.ext4;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * How to lay out a new EXT4 filesystem.
 *
 * @param sizeBytes size of the filesystem; the image file is made exactly this size (sparse)
 * @param bytesPerInode one inode per this many bytes of filesystem (mke2fs's {@code -i})
 * @param journalBlocks journal size in 4 KiB blocks; {@link #DEFAULT_JOURNAL} picks mke2fs's
 *     size for the filesystem size, 0 means no journal
 * @param label volume label, at most 16 bytes of UTF-8
 * @param uuid filesystem UUID
 * @param createdAt creation time recorded in the superblock and as every inode's birth time
 */
public record Ext4Options(
    long sizeBytes, long bytesPerInode, int journalBlocks, String label, UUID uuid, Instant createdAt) {

  /** Marks {@link #journalBlocks} as "choose as mke2fs would". */
  public static final int DEFAULT_JOURNAL = -1;

  public static final long DEFAULT_BYTES_PER_INODE = 16384;

  public Ext4Options {
    if (sizeBytes <= 0) {
      throw new IllegalArgumentException("size must be positive: " + sizeBytes);
    }
    if (bytesPerInode < 1024 || bytesPerInode > 64L * 1024 * 1024) {
      throw new IllegalArgumentException("bytes per inode out of range: " + bytesPerInode);
    }
    if (journalBlocks < DEFAULT_JOURNAL) {
      throw new IllegalArgumentException("journal size out of range: " + journalBlocks);
    }
    if (journalBlocks > 0 && journalBlocks < 1024) {
      throw new IllegalArgumentException("a journal needs at least 1024 blocks: " + journalBlocks);
    }
    label = label == null ? "" : label;
    if (label.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 16) {
      throw new IllegalArgumentException("volume label longer than 16 bytes: " + label);
    }
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Defaults for a filesystem of {@code sizeBytes}: random UUID, no label, created now. */
  public static Ext4Options ofSize(long sizeBytes) {
    return new Ext4Options(
        sizeBytes, DEFAULT_BYTES_PER_INODE, DEFAULT_JOURNAL, "", UUID.randomUUID(), Instant.now());
  }

  public Ext4Options withBytesPerInode(long value) {
    return new Ext4Options(sizeBytes, value, journalBlocks, label, uuid, createdAt);
  }

  public Ext4Options withJournalBlocks(int value) {
    return new Ext4Options(sizeBytes, bytesPerInode, value, label, uuid, createdAt);
  }

  public Ext4Options withLabel(String value) {
    return new Ext4Options(sizeBytes, bytesPerInode, journalBlocks, value, uuid, createdAt);
  }

  public Ext4Options withUuid(UUID value) {
    return new Ext4Options(sizeBytes, bytesPerInode, journalBlocks, label, value, createdAt);
  }

  public Ext4Options withCreatedAt(Instant value) {
    return new Ext4Options(sizeBytes, bytesPerInode, journalBlocks, label, uuid, value);
  }
}
