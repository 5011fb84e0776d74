package dev.linux.env;

import dev.linux.vm.Accelerator;
import dev.linux.vm.Architecture;
import dev.linux.vm.GuestKernel;
import dev.linux.vm.InitramfsBuilder;
import dev.linux.vm.KernelProvisioner;
import dev.linux.vm.VmSpec;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a VM boots: the guest kernel, our initramfs, and the spec tying them to an environment. */
final class GuestBoot {

  private final LinuxHome home;
  private final Progress progress;
  private final Optional<Path> kernelDir;

  GuestBoot(LinuxHome home, Progress progress, Optional<Path> kernelDir) {
    this.home = home;
    this.progress = progress;
    this.kernelDir = kernelDir;
  }

  VmSpec spec(EnvironmentRecord record, EnvironmentFiles files, Accelerator accelerator) throws IOException {
    GuestKernel kernel = kernel();
    Path initrd = new InitramfsBuilder(home.data(), progress::notice).ensure(kernel);
    home.ensureRuntime();
    return new VmSpec(
        record.name(), kernel.vmlinuz(), initrd, files.disk(), record.cpus(), record.memoryBytes(),
        accelerator, files.runtime(), files.consoleLog(), record.name(),
        Boolean.TRUE.equals(record.systemd()) ? List.of(VmSpec.SYSTEMD_KERNEL_ARG) : List.of(),
        record.networkSettings().network());
  }

  private GuestKernel kernel() throws IOException {
    if (kernelDir.isPresent()) {
      return GuestKernel.configured(kernelDir.get().resolve("vmlinuz"), kernelDir.get().resolve("modules"));
    }
    try {
      String archive = GlobalConfig.load(home, Map.of()).value(GlobalConfig.Key.KERNEL_ARCHIVE);
      return new KernelProvisioner(home.data(), progress::notice, Architecture.host(),
          archive.isBlank() ? Optional.empty() : Optional.of(archive)).ensureDistributionKernel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while provisioning the guest kernel");
    }
  }
}
