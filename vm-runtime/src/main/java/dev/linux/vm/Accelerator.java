package dev.linux.vm;

/** How QEMU runs guest code: hardware virtualization (KVM on Linux, HVF on macOS) or TCG emulation. */
public enum Accelerator {
  KVM,
  HVF,
  TCG;

  /** The value QEMU's {@code -accel} option takes. */
  public String qemuName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
