package dev.linux.share;

import java.util.ArrayList;
import java.util.List;

/**
 * The uid (or gid) map of the user namespace an unprivileged virtiofsd runs in: namespace id 0 (as
 * which virtiofsd runs) and every other id come from the user's subordinate ranges, except the
 * user's own id, which maps to itself. So host files of the user appear in the guest as the
 * user's id, and what a guest id writes lands on the host as the same id (the user's) or as a
 * subordinate id (anyone else, root included) — never as another real user.
 *
 * @param lines {@code nsStart hostStart count} triples, as newuidmap/newgidmap take them
 */
record IdMapping(List<long[]> lines) {

  /** One subordinate range from {@code /etc/subuid} or {@code /etc/subgid}. */
  record Range(long start, long count) {}

  /**
   * The ranges of {@code /etc/subuid}-format {@code text} ({@code NAME_OR_ID:START:COUNT} per
   * line) that belong to the user {@code name} or the id {@code id}.
   */
  static List<Range> subordinateRanges(String text, String name, long id) {
    List<Range> ranges = new ArrayList<>();
    for (String line : text.lines().toList()) {
      String[] f = line.strip().split(":");
      if (f.length != 3 || line.startsWith("#")) {
        continue;
      }
      if (!f[0].equals(name) && !f[0].equals(Long.toString(id))) {
        continue;
      }
      try {
        long start = Long.parseLong(f[1]);
        long count = Long.parseLong(f[2]);
        if (start >= 0 && count > 0) {
          ranges.add(new Range(start, count));
        }
      } catch (NumberFormatException e) {
        // a malformed line is skipped, as newuidmap does
      }
    }
    return ranges;
  }

  /**
   * Maps namespace ids 0, 1, 2, … to the subordinate ranges in order, skipping the user's own id,
   * which maps to itself.
   *
   * @throws IllegalArgumentException when there are no subordinate ids
   */
  static IdMapping forUser(long ownId, List<Range> subordinate) {
    if (subordinate.isEmpty()) {
      throw new IllegalArgumentException("no subordinate ids");
    }
    List<long[]> lines = new ArrayList<>();
    long ns = 0;
    boolean ownMapped = false;
    for (Range range : subordinate) {
      long host = range.start();
      long left = range.count();
      while (left > 0) {
        if (!ownMapped && ns == ownId) {
          lines.add(new long[] {ownId, ownId, 1});
          ownMapped = true;
          ns++;
          continue;
        }
        long take = !ownMapped && ns < ownId ? Math.min(left, ownId - ns) : left;
        lines.add(new long[] {ns, host, take});
        ns += take;
        host += take;
        left -= take;
      }
    }
    if (!ownMapped) {
      lines.add(new long[] {ownId, ownId, 1});
    }
    return new IdMapping(List.copyOf(lines));
  }

  /** The map as one argument: "NS HOST COUNT NS HOST COUNT …". */
  String argument() {
    StringBuilder b = new StringBuilder();
    for (long[] l : lines) {
      if (!b.isEmpty()) {
        b.append(' ');
      }
      b.append(l[0]).append(' ').append(l[1]).append(' ').append(l[2]);
    }
    return b.toString();
  }
}
