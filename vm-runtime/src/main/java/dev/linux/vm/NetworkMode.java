package dev.linux.vm;

import java.util.Locale;

/**
 * How a VM reaches the network.
 *
 * <p>{@link #USER} is QEMU's user-mode network (slirp): no root needed, outbound TCP/UDP from the
 * guest's fixed address {@code 10.0.2.15/24}, the host's loopback seen as the gateway {@code
 * 10.0.2.2}, DNS at {@code 10.0.2.3}. Nothing is forwarded into the guest at boot: ports are added
 * at run time through the monitor. vminitd configures the interface itself (no DHCP) when the
 * kernel command line carries {@link #kernelArg()}.
 */
public enum NetworkMode {
  /** No network device at all: the guest has only {@code lo}. */
  NONE,
  /** QEMU user-mode networking with a virtio-net device. */
  USER;

  /** The kernel command line key telling vminitd which network to configure. */
  public static final String KERNEL_KEY = "linux.net";

  /** The kernel argument for this mode ({@code linux.net=user}); empty for {@link #NONE}. */
  public String kernelArg() {
    return this == NONE ? "" : KERNEL_KEY + "=" + name().toLowerCase(Locale.ROOT);
  }
}
