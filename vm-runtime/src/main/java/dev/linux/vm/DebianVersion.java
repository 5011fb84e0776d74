package dev.linux.vm;

import java.util.Comparator;

/**
 * Orders Debian package versions ({@code [epoch:]upstream[-revision]}) as dpkg does: epochs
 * numerically, then upstream and revision by dpkg's alternating non-digit / digit comparison, in
 * which '~' sorts before everything, even the end of the string.
 */
final class DebianVersion {
  static final Comparator<String> ORDER = DebianVersion::compare;

  private DebianVersion() {}

  static int compare(String a, String b) {
    int ea = a.indexOf(':');
    int eb = b.indexOf(':');
    long epochA = ea > 0 ? parseLong(a.substring(0, ea)) : 0;
    long epochB = eb > 0 ? parseLong(b.substring(0, eb)) : 0;
    if (epochA != epochB) {
      return Long.compare(epochA, epochB);
    }
    String ra = a.substring(ea + 1);
    String rb = b.substring(eb + 1);
    int da = ra.lastIndexOf('-');
    int db = rb.lastIndexOf('-');
    String upA = da >= 0 ? ra.substring(0, da) : ra;
    String upB = db >= 0 ? rb.substring(0, db) : rb;
    int c = comparePart(upA, upB);
    if (c != 0) {
      return c;
    }
    return comparePart(da >= 0 ? ra.substring(da + 1) : "", db >= 0 ? rb.substring(db + 1) : "");
  }

  private static int comparePart(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      while ((i < a.length() && !Character.isDigit(a.charAt(i)))
          || (j < b.length() && !Character.isDigit(b.charAt(j)))) {
        int oa = i < a.length() && !Character.isDigit(a.charAt(i)) ? order(a.charAt(i)) : 0;
        int ob = j < b.length() && !Character.isDigit(b.charAt(j)) ? order(b.charAt(j)) : 0;
        if (oa != ob) {
          return Integer.compare(oa, ob);
        }
        if (i < a.length() && !Character.isDigit(a.charAt(i))) {
          i++;
        }
        if (j < b.length() && !Character.isDigit(b.charAt(j))) {
          j++;
        }
      }
      int si = i;
      int sj = j;
      while (i < a.length() && Character.isDigit(a.charAt(i))) {
        i++;
      }
      while (j < b.length() && Character.isDigit(b.charAt(j))) {
        j++;
      }
      String na = a.substring(si, i).replaceFirst("^0+", "");
      String nb = b.substring(sj, j).replaceFirst("^0+", "");
      if (na.length() != nb.length()) {
        return Integer.compare(na.length(), nb.length());
      }
      int c = na.compareTo(nb);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** dpkg's character weight: '~' lowest, then end of string, letters, then other characters. */
  private static int order(char c) {
    if (c == '~') {
      return -1;
    }
    if (Character.isLetter(c)) {
      return c;
    }
    return c + 256;
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
