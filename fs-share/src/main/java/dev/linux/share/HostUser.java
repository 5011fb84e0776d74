package dev.linux.share;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Who the JVM runs as, and the user namespace an unprivileged virtiofsd gets for that user. */
record HostUser(String name, long uid, long gid) {

  static HostUser current() throws IOException {
    Path self = Path.of("/proc/self");
    long uid = ((Number) Files.getAttribute(self, "unix:uid")).longValue();
    long gid = ((Number) Files.getAttribute(self, "unix:gid")).longValue();
    return new HostUser(System.getProperty("user.name"), uid, gid);
  }

  boolean isRoot() {
    return uid == 0;
  }

  /** The helper's {@code -uidmap}/{@code -gidmap} arguments, from /etc/subuid and /etc/subgid. */
  List<String> namespaceArguments() throws IOException {
    return namespaceArguments(read("/etc/subuid"), read("/etc/subgid"), hasNewuidmap());
  }

  List<String> namespaceArguments(String subuid, String subgid, boolean newuidmap)
      throws IOException {
    if (!newuidmap) {
      throw new IOException(
          "sharing directories without root needs newuidmap and newgidmap: install the package uidmap");
    }
    List<IdMapping.Range> uids = IdMapping.subordinateRanges(subuid, name, uid);
    List<IdMapping.Range> gids = IdMapping.subordinateRanges(subgid, name, gid);
    if (uids.isEmpty() || gids.isEmpty()) {
      throw new IOException(
          "sharing directories as " + name + " (uid " + uid + ") needs subordinate ids, and "
              + (uids.isEmpty() ? "/etc/subuid" : "/etc/subgid") + " has none for " + name
              + ": add some as root, e.g. usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
              + name);
    }
    return List.of(
        "-uidmap", IdMapping.forUser(uid, uids).argument(),
        "-gidmap", IdMapping.forUser(gid, gids).argument());
  }

  private static String read(String file) throws IOException {
    Path p = Path.of(file);
    return Files.isRegularFile(p) ? Files.readString(p) : "";
  }

  private static boolean hasNewuidmap() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      if (Files.isExecutable(Path.of(dir, "newuidmap")) && Files.isExecutable(Path.of(dir, "newgidmap"))) {
        return true;
      }
    }
    return false;
  }
}
