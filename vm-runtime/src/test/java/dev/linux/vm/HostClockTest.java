package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HostClockTest {
  @Test
  void readsCpuMhz() {
    assertEquals(OptionalLong.of(2_596_100), HostClock.tscKhz("processor\t: 0\ncpu MHz\t\t: 2596.100\n"));
    assertEquals(OptionalLong.empty(), HostClock.tscKhz("processor : 0\n"));
  }

  @Test
  void tcgGuestsGetTheHintOnce() {
    VmSpec tcg = QemuCommandLineTest.spec(Accelerator.TCG);
    VmSpec hinted = HostClock.withTscHint(tcg, OptionalLong.of(2_596_100));
    assertEquals(List.of("linux.debug=1", "tsc_early_khz=2596100"), hinted.kernelArgs());
    assertSame(hinted, HostClock.withTscHint(hinted, OptionalLong.of(1)));
    VmSpec kvm = QemuCommandLineTest.spec(Accelerator.KVM);
    assertSame(kvm, HostClock.withTscHint(kvm, OptionalLong.of(2_596_100)));
    assertSame(tcg, HostClock.withTscHint(tcg, OptionalLong.empty()));
  }

  @Test
  void specWithClockHintLeavesHardwareAcceleratedGuestsAlone() {
    VmSpec kvm = QemuCommandLineTest.spec(Accelerator.KVM);
    assertSame(kvm, kvm.withClockHint());
    VmSpec tcg = QemuCommandLineTest.spec(Accelerator.TCG).withClockHint();
    assertSame(tcg, tcg.withClockHint(), "applied once");
  }
}
