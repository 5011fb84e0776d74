package dev.linux.env.ext4;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * How EXT4 stores extended attribute names and values: a name is a namespace index plus the rest
 * of the name ({@code user.}, {@code trusted.}, {@code security.}, {@code system.}); POSIX ACLs
 * ({@code system.posix_acl_access} / {@code _default}) have an index of their own, an empty name
 * and EXT4's compact ACL format instead of the xattr form user space sees. Also the entry and
 * block hashes.
 */
final class Xattrs {
  private Xattrs() {}

  static final int MAGIC = 0xEA020000;
  static final int ENTRY_HEADER = 16;
  static final int BLOCK_HEADER = 32;

  static final int INDEX_USER = 1;
  static final int INDEX_ACL_ACCESS = 2;
  static final int INDEX_ACL_DEFAULT = 3;
  static final int INDEX_TRUSTED = 4;
  static final int INDEX_SECURITY = 6;
  static final int INDEX_SYSTEM = 7;

  static final String ACL_ACCESS = "system.posix_acl_access";
  static final String ACL_DEFAULT = "system.posix_acl_default";

  private static final String[] PREFIXES = {"user.", "trusted.", "security.", "system."};
  private static final int[] PREFIX_INDEXES = {INDEX_USER, INDEX_TRUSTED, INDEX_SECURITY, INDEX_SYSTEM};

  /** One attribute as stored: index, name suffix and on-disk value. */
  record Entry(int index, byte[] name, byte[] value) {
    int entrySize() {
      return (ENTRY_HEADER + name.length + 3) & ~3;
    }

    int valueSize() {
      return (value.length + 3) & ~3;
    }

    /** Sort order of entries in a block: index, name length, name. */
    static int compare(Entry a, Entry b) {
      if (a.index != b.index) {
        return Integer.compare(a.index, b.index);
      }
      if (a.name.length != b.name.length) {
        return Integer.compare(a.name.length, b.name.length);
      }
      return java.util.Arrays.compareUnsigned(a.name, b.name);
    }
  }

  /** Encodes a user-visible attribute for disk. */
  static Entry encode(String fullName, byte[] value) {
    if (fullName.equals(ACL_ACCESS)) {
      return new Entry(INDEX_ACL_ACCESS, new byte[0], aclToDisk(value, fullName));
    }
    if (fullName.equals(ACL_DEFAULT)) {
      return new Entry(INDEX_ACL_DEFAULT, new byte[0], aclToDisk(value, fullName));
    }
    for (int i = 0; i < PREFIXES.length; i++) {
      if (fullName.startsWith(PREFIXES[i])) {
        return entry(PREFIX_INDEXES[i], fullName.substring(PREFIXES[i].length()), value, fullName);
      }
    }
    throw new IllegalArgumentException("extended attribute outside the user, trusted, security "
        + "and system namespaces: " + fullName);
  }

  private static Entry entry(int index, String suffix, byte[] value, String fullName) {
    byte[] name = suffix.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0 || name.length > 255) {
      throw new IllegalArgumentException("extended attribute name must have 1 to 255 bytes after "
          + "its namespace: " + fullName);
    }
    return new Entry(index, name, value);
  }

  /** The user-visible name and value of a stored attribute. */
  static String decodeName(int index, byte[] name) {
    String suffix = new String(name, StandardCharsets.UTF_8);
    return switch (index) {
      case INDEX_USER -> "user." + suffix;
      case INDEX_ACL_ACCESS -> ACL_ACCESS;
      case INDEX_ACL_DEFAULT -> ACL_DEFAULT;
      case INDEX_TRUSTED -> "trusted." + suffix;
      case INDEX_SECURITY -> "security." + suffix;
      case INDEX_SYSTEM -> "system." + suffix;
      default -> suffix;
    };
  }

  static byte[] decodeValue(int index, byte[] value) {
    return index == INDEX_ACL_ACCESS || index == INDEX_ACL_DEFAULT ? aclFromDisk(value) : value;
  }

  private static final int ACL_XATTR_VERSION = 2;
  private static final int EXT4_ACL_VERSION = 1;
  private static final int ACL_USER = 0x02;
  private static final int ACL_GROUP = 0x08;

  /** POSIX ACL xattr (version 2, 8-byte entries) to EXT4's form (version 1, short entries without id). */
  static byte[] aclToDisk(byte[] xattr, String what) {
    if (xattr.length < 4 || (xattr.length - 4) % 8 != 0) {
      throw new IllegalArgumentException("malformed POSIX ACL in " + what);
    }
    ByteBuffer in = ByteBuffer.wrap(xattr).order(ByteOrder.LITTLE_ENDIAN);
    if (in.getInt() != ACL_XATTR_VERSION) {
      throw new IllegalArgumentException("unsupported POSIX ACL version in " + what);
    }
    ByteBuffer out = ByteBuffer.allocate(xattr.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(EXT4_ACL_VERSION);
    while (in.hasRemaining()) {
      short tag = in.getShort();
      short perm = in.getShort();
      int id = in.getInt();
      out.putShort(tag).putShort(perm);
      if (tag == ACL_USER || tag == ACL_GROUP) {
        out.putInt(id);
      }
    }
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  static byte[] aclFromDisk(byte[] disk) {
    ByteBuffer in = ByteBuffer.wrap(disk).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(4 + disk.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    in.getInt();
    out.putInt(ACL_XATTR_VERSION);
    while (in.remaining() >= 4) {
      short tag = in.getShort();
      short perm = in.getShort();
      int id = tag == ACL_USER || tag == ACL_GROUP ? in.getInt() : -1;
      out.putShort(tag).putShort(perm).putInt(id);
    }
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  /** The hash of one entry: its name, then its value as little-endian words (zero-padded). */
  static int entryHash(byte[] name, byte[] value) {
    int hash = 0;
    for (byte c : name) {
      hash = (hash << 5) ^ (hash >>> 27) ^ c;
    }
    ByteBuffer v = ByteBuffer.wrap(java.util.Arrays.copyOf(value, (value.length + 3) & ~3))
        .order(ByteOrder.LITTLE_ENDIAN);
    while (v.hasRemaining()) {
      hash = (hash << 16) ^ (hash >>> 16) ^ v.getInt();
    }
    return hash;
  }

  /** The block hash over its entries' hashes (0 if any entry hash is 0). */
  static int blockHash(int[] entryHashes) {
    int hash = 0;
    for (int h : entryHashes) {
      if (h == 0) {
        return 0;
      }
      hash = (hash << 16) ^ (hash >>> 16) ^ h;
    }
    return hash;
  }
}
