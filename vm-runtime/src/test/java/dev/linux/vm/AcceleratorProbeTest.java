package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AcceleratorProbeTest {
  private static final String VMX = "processor : 0\nflags : fpu vme de pse vmx sse2\n";
  private static final String NO_VIRT = "processor : 0\nflags : fpu vme de pse hypervisor sse2\n";

  private static AcceleratorChoice probe(
      Map<String, String> env, String cpuinfo, boolean kvm, String arch, String os) {
    return new AcceleratorProbe(env, () -> cpuinfo, () -> kvm, arch, os).choose();
  }

  @Test
  void kvmWhenDeviceUsableAndCpuHasVmx() {
    AcceleratorChoice c = probe(Map.of(), VMX, true, "amd64", "Linux");
    assertEquals(Accelerator.KVM, c.accelerator());
  }

  @Test
  void kvmWithSvm() {
    assertEquals(
        Accelerator.KVM,
        probe(Map.of(), "flags : fpu svm\n", true, "amd64", "Linux").accelerator());
  }

  @Test
  void tcgWhenDevicePresentButCpuLacksVirtualization() {
    AcceleratorChoice c = probe(Map.of(), NO_VIRT, true, "amd64", "Linux");
    assertEquals(Accelerator.TCG, c.accelerator());
    assertEquals(
        "using TCG software emulation: /dev/kvm present but the CPU offers no vmx/svm", c.notice());
  }

  @Test
  void flagMustBeAWholeWord() {
    assertEquals(
        Accelerator.TCG,
        probe(Map.of(), "flags : vmxfoo xsvm\n", true, "amd64", "Linux").accelerator());
  }

  @Test
  void tcgWhenDeviceNotUsable() {
    AcceleratorChoice c = probe(Map.of(), VMX, false, "amd64", "Linux");
    assertEquals(Accelerator.TCG, c.accelerator());
    assertTrue(c.notice().contains("/dev/kvm is missing or not readable and writable"), c.notice());
  }

  @Test
  void aarch64NeedsOnlyAUsableDevice() {
    assertEquals(Accelerator.KVM, probe(Map.of(), "", true, "aarch64", "Linux").accelerator());
    assertEquals(Accelerator.TCG, probe(Map.of(), "", false, "aarch64", "Linux").accelerator());
  }

  @Test
  void hvfOnMacOs() {
    assertEquals(Accelerator.HVF, probe(Map.of(), "", false, "aarch64", "Mac OS X").accelerator());
  }

  @Test
  void tcgOnOtherSystems() {
    AcceleratorChoice c = probe(Map.of(), VMX, true, "amd64", "Windows 11");
    assertEquals(Accelerator.TCG, c.accelerator());
    assertTrue(c.notice().contains("Windows 11"));
  }

  @Test
  void overrideWins() {
    AcceleratorChoice c = probe(Map.of("LINUX_ACCEL", "KVM"), NO_VIRT, false, "amd64", "Linux");
    assertEquals(Accelerator.KVM, c.accelerator());
    assertEquals("using KVM (LINUX_ACCEL=KVM)", c.notice());
    assertEquals(
        Accelerator.TCG,
        probe(Map.of("LINUX_ACCEL", "tcg"), VMX, true, "amd64", "Linux").accelerator());
    assertEquals(
        Accelerator.HVF,
        probe(Map.of("LINUX_ACCEL", "hvf"), VMX, true, "amd64", "Linux").accelerator());
  }

  @Test
  void blankOverrideIsIgnored() {
    assertEquals(
        Accelerator.KVM,
        probe(Map.of("LINUX_ACCEL", " "), VMX, true, "amd64", "Linux").accelerator());
  }

  @Test
  void invalidOverrideFailsClearly() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> probe(Map.of("LINUX_ACCEL", "xen"), VMX, true, "amd64", "Linux"));
    assertEquals("LINUX_ACCEL=xen: expected kvm, hvf or tcg", e.getMessage());
  }

  @Test
  void thisHostProbeAnswers() {
    // No assertion on the result: it depends on the machine. It must not throw.
    AcceleratorChoice c = AcceleratorProbe.host().choose();
    assertTrue(!c.notice().isBlank());
  }
}
