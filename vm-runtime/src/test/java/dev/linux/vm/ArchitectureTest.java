package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchitectureTest {
  @TempDir Path dir;

  @Test
  void namesEveryToolUses() {
    for (String name : List.of("amd64", "x86_64", "X86-64", "linux/amd64")) {
      assertEquals(Architecture.X86_64, Architecture.parse(name));
    }
    for (String name : List.of("arm64", "aarch64", "linux/arm64", "linux/arm64/v8")) {
      assertEquals(Architecture.AARCH64, Architecture.parse(name));
    }
    var e = assertThrows(IllegalArgumentException.class, () -> Architecture.parse("linux/riscv64"));
    assertEquals("unsupported architecture 'linux/riscv64' (supported: linux/amd64, linux/arm64)", e.getMessage());
    assertEquals("qemu-system-aarch64", Architecture.AARCH64.qemuBinary());
    assertEquals("arm64", Architecture.AARCH64.debianName());
    assertEquals("linux/amd64", Architecture.X86_64.platform());
  }

  @Test
  void kernelImagesTellTheirArchitecture() throws Exception {
    byte[] arm = new byte[0x300];
    arm[0] = 'M';
    arm[1] = 'Z';
    System.arraycopy(new byte[] {'A', 'R', 'M', 0x64}, 0, arm, 0x38, 4);
    byte[] x86 = new byte[0x300];
    System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, x86, 0x202, 4);
    assertEquals(Optional.of(Architecture.AARCH64), Architecture.ofKernelImage(Files.write(dir.resolve("a"), arm)));
    assertEquals(Optional.of(Architecture.X86_64), Architecture.ofKernelImage(Files.write(dir.resolve("x"), x86)));
    assertEquals(Optional.empty(), Architecture.ofKernelImage(Files.write(dir.resolve("gz"), new byte[] {0x1f, (byte) 0x8b})));
    Path modules = Files.createDirectories(dir.resolve("6.1.0-9-cloud-arm64"));
    assertEquals(Architecture.AARCH64, GuestKernel.configured(dir.resolve("a"), modules).architecture());
  }

  @Test
  void onlyX86GuestsGetTheTscHint() {
    VmSpec x86 = QemuCommandLineTest.spec(Accelerator.TCG);
    assertTrue(HostClock.withTscHint(x86, OptionalLong.of(2_000_000)).kernelArgs().contains("tsc_early_khz=2000000"));
    VmSpec arm = x86.withArchitecture(Architecture.AARCH64);
    assertEquals(arm, HostClock.withTscHint(arm, OptionalLong.of(2_000_000)));
    assertEquals(Architecture.AARCH64, arm.withNetwork(NetworkMode.NONE).architecture());
  }
}
