package dev.linux.vm;

import java.util.ArrayList;
import java.util.List;

/**
 * QEMU arguments and kernel command line words for a VM's virtiofs devices (kept apart from {@link
 * QemuCommandLine} so that the devices of other features merge cleanly). The shared memory backend
 * and modern virtio-mmio that vhost-user needs are on for every VM ({@link QemuCommandLine}).
 */
final class VirtiofsDevices {
  private VirtiofsDevices() {}

  /** Per share: a client chardev on virtiofsd's socket and a virtio-mmio vhost-user-fs device. */
  static List<String> arguments(List<VirtiofsMount> shares) {
    List<String> args = new ArrayList<>();
    for (int i = 0; i < shares.size(); i++) {
      VirtiofsMount share = shares.get(i);
      QemuCommandLine.checkSocketPath(share.socket());
      String id = "fs" + i;
      args.addAll(
          List.of("-chardev",
              "socket,id=" + id + ",path=" + QemuCommandLine.escapeOption(share.socket().toString())));
      args.addAll(List.of("-device", "vhost-user-fs-device,chardev=" + id + ",tag=" + share.tag()));
    }
    return args;
  }

  /** One {@code linux.share=} word per share, for vminitd. */
  static List<String> kernelArgs(List<VirtiofsMount> shares) {
    return shares.stream().map(VirtiofsMount::kernelArg).toList();
  }
}
