package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
  static VmSpec spec(Accelerator accel, Path runDir) {
    return new VmSpec(
        "dev",
        Path.of("/k/vmlinuz"),
        Path.of("/k/initrd.cpio"),
        Path.of("/e/dev/disk.ext4"),
        2,
        512 * VmSpec.MIB,
        accel,
        runDir,
        Path.of("/e/dev/console.log"),
        "dev",
        List.of("linux.debug=1"),
        NetworkMode.USER,
        Architecture.X86_64);
  }

  static VmSpec spec(Accelerator accel) {
    return spec(accel, Path.of("/run/user/1000/linux/dev"));
  }

  /** The value following {@code option}; fails when the option is absent or repeated. */
  static String value(List<String> cmd, String option) {
    int first = cmd.indexOf(option);
    assertTrue(first >= 0, option + " missing in " + cmd);
    assertEquals(first, cmd.lastIndexOf(option), option + " repeated");
    return cmd.get(first + 1);
  }

  @Test
  void tcgCommandLineMatchesTheOneKnownToWork() {
    List<String> cmd = QemuCommandLine.build(spec(Accelerator.TCG), "qemu-system-x86_64");
    assertEquals("qemu-system-x86_64", cmd.get(0));
    assertEquals("microvm,acpi=on", value(cmd, "-M"));
    assertEquals("tcg", value(cmd, "-accel"));
    assertEquals("max", value(cmd, "-cpu"));
    assertEquals("512M", value(cmd, "-m"));
    assertEquals("2", value(cmd, "-smp"));
    for (String flag : List.of("-nodefaults", "-no-user-config", "-no-reboot", "-daemonize")) {
      assertTrue(cmd.contains(flag), flag);
    }
    assertEquals("none", value(cmd, "-display"));
    assertEquals("virtio-mmio.force-legacy=false", value(cmd, "-global"));
    assertEquals("memory-backend-memfd,id=mem,size=512M,share=on", value(cmd, "-object"));
    assertEquals("node,memdev=mem", value(cmd, "-numa"));
    assertEquals("/k/vmlinuz", value(cmd, "-kernel"));
    assertEquals("/k/initrd.cpio", value(cmd, "-initrd"));
    assertEquals(
        "console=ttyS0 quiet panic=-1 linux.agent=linux.agent linux.root=/dev/vda"
            + " linux.hostname=dev linux.net=user linux.debug=1",
        value(cmd, "-append"));
    assertEquals("file:/e/dev/console.log", value(cmd, "-serial"));
    assertEquals(
        "id=root,file=/e/dev/disk.ext4,format=raw,if=none,discard=unmap,cache=writeback",
        value(cmd, "-drive"));
    assertEquals(
        "socket,id=agent,path=/run/user/1000/linux/dev/agent.sock,server=on,wait=off",
        value(cmd, "-chardev"));
    assertEquals("unix:/run/user/1000/linux/dev/qmp.sock,server=on,wait=off", value(cmd, "-qmp"));
    assertEquals("/run/user/1000/linux/dev/qemu.pid", value(cmd, "-pidfile"));
    assertEquals("user,id=net0", value(cmd, "-netdev"));
    assertEquals(
        List.of(
            "virtio-blk-device,drive=root",
            "virtio-serial-device",
            "virtserialport,chardev=agent,name=linux.agent",
            "virtio-rng-device",
            "virtio-balloon-device,free-page-reporting=on",
            "virtio-net-device,netdev=net0,mac=" + spec(Accelerator.TCG).macAddress()),
        devices(cmd));
  }

  @Test
  void withoutNetworkThereIsNoNetdevNoNicAndNoNetKernelArg() {
    List<String> cmd =
        QemuCommandLine.build(spec(Accelerator.TCG).withNetwork(NetworkMode.NONE), "qemu-system-x86_64");
    assertFalse(cmd.contains("-netdev"), cmd.toString());
    assertTrue(devices(cmd).stream().noneMatch(d -> d.startsWith("virtio-net")), cmd.toString());
    // -nodefaults is what keeps QEMU from adding its default NIC.
    assertTrue(cmd.contains("-nodefaults"));
    assertFalse(value(cmd, "-append").contains("linux.net"), value(cmd, "-append"));
  }

  @Test
  void userNetworkForwardsNothingAtBoot() {
    List<String> cmd = QemuCommandLine.build(spec(Accelerator.TCG), "qemu-system-x86_64");
    assertFalse(value(cmd, "-netdev").contains("hostfwd"));
    assertFalse(value(cmd, "-netdev").contains("restrict"));
  }

  @Test
  void sharesBecomeVhostUserFsDevicesAndKernelArguments() {
    VmSpec spec =
        spec(Accelerator.TCG)
            .withShares(
                List.of(
                    new VirtiofsMount("fs0", Path.of("/run/user/1000/linux/dev/fs0.sock"), "/home/u", false),
                    new VirtiofsMount("fs1", Path.of("/run/user/1000/linux/dev/fs1.sock"), "/mnt/my data:1,ü", true)));
    List<String> cmd = QemuCommandLine.build(spec, "qemu-system-x86_64");
    int first = cmd.indexOf("virtserialport,chardev=agent,name=linux.agent");
    assertEquals(
        List.of(
            "virtserialport,chardev=agent,name=linux.agent",
            "-chardev", "socket,id=fs0,path=/run/user/1000/linux/dev/fs0.sock",
            "-device", "vhost-user-fs-device,chardev=fs0,tag=fs0",
            "-chardev", "socket,id=fs1,path=/run/user/1000/linux/dev/fs1.sock",
            "-device", "vhost-user-fs-device,chardev=fs1,tag=fs1",
            "-device", "virtio-rng-device"),
        cmd.subList(first, first + 11));
    assertEquals(
        "console=ttyS0 quiet panic=-1 linux.agent=linux.agent linux.root=/dev/vda"
            + " linux.hostname=dev linux.net=user linux.share=fs0:/home/u linux.share=fs1:/mnt/my%20data%3A1%2C%C3%BC:ro"
            + " linux.debug=1",
        value(cmd, "-append"));
    // vhost-user needs these, and every VM has them
    assertEquals("virtio-mmio.force-legacy=false", value(cmd, "-global"));
    assertEquals("memory-backend-memfd,id=mem,size=512M,share=on", value(cmd, "-object"));
  }

  @Test
  void tooLongAKernelCommandLineFailsClearly() {
    List<VirtiofsMount> shares = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      shares.add(new VirtiofsMount("fs" + i, Path.of("/r/fs" + i + ".sock"), "/" + "ä".repeat(20), false));
    }
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QemuCommandLine.build(spec(Accelerator.TCG).withShares(shares), "qemu-system-x86_64"));
    assertTrue(e.getMessage().startsWith("kernel command line too long"), e.getMessage());
  }

  @Test
  void kvmUsesTheHostCpu() {
    List<String> cmd = QemuCommandLine.build(spec(Accelerator.KVM), "/usr/bin/qemu-system-x86_64");
    assertEquals("kvm", value(cmd, "-accel"));
    assertEquals("host", value(cmd, "-cpu"));
    assertFalse(cmd.contains("max"));
  }

  @Test
  void commasInPathsAreEscapedForQemuOptions() {
    VmSpec spec =
        new VmSpec(
            "dev", Path.of("/k/vmlinuz"), Path.of("/k/initrd"), Path.of("/a,b/disk"), 1,
            256 * VmSpec.MIB, Accelerator.TCG, Path.of("/run/x,y"), Path.of("/c.log"), "dev", List.of());
    List<String> cmd = QemuCommandLine.build(spec, "qemu-system-x86_64");
    assertTrue(value(cmd, "-drive").startsWith("id=root,file=/a,,b/disk,format=raw"));
    assertTrue(value(cmd, "-chardev").contains("path=/run/x,,y/agent.sock,server"));
  }

  @Test
  void socketPathTooLongFailsClearly() {
    Path longDir = Path.of("/run/user/1000/linux/" + "x".repeat(90));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QemuCommandLine.build(spec(Accelerator.TCG, longDir), "qemu-system-x86_64"));
    assertTrue(e.getMessage().contains("socket path too long"), e.getMessage());
  }

  @Test
  void socketPathAtTheLimitIsAccepted() {
    String prefix = "/r/";
    String suffix = "/agent.sock";
    Path dir = Path.of(prefix + "d".repeat(QemuCommandLine.MAX_SOCKET_PATH_BYTES - prefix.length() - suffix.length()));
    assertEquals(QemuCommandLine.MAX_SOCKET_PATH_BYTES, dir.resolve("agent.sock").toString().length());
    QemuCommandLine.build(spec(Accelerator.TCG, dir), "qemu-system-x86_64");
  }

  @Test
  void aarch64UsesTheVirtMachineWithTheSameMmioDevices() {
    VmSpec arm = spec(Accelerator.TCG).withArchitecture(Architecture.AARCH64);
    List<String> cmd = QemuCommandLine.build(arm, "/usr/bin/qemu-system-aarch64");
    assertEquals("/usr/bin/qemu-system-aarch64", cmd.get(0));
    assertEquals("virt,gic-version=max", value(cmd, "-M"));
    assertEquals("tcg", value(cmd, "-accel"));
    assertEquals("max", value(cmd, "-cpu"));
    assertEquals("512M", value(cmd, "-m"));
    assertEquals("virtio-mmio.force-legacy=false", value(cmd, "-global"));
    assertEquals("memory-backend-memfd,id=mem,size=512M,share=on", value(cmd, "-object"));
    assertEquals("/k/vmlinuz", value(cmd, "-kernel"));
    assertEquals("/k/initrd.cpio", value(cmd, "-initrd"));
    assertEquals(
        "console=ttyAMA0 quiet panic=-1 linux.agent=linux.agent linux.root=/dev/vda"
            + " linux.hostname=dev linux.net=user linux.debug=1",
        value(cmd, "-append"));
    assertEquals("file:/e/dev/console.log", value(cmd, "-serial"));
    assertEquals(
        List.of(
            "virtio-blk-device,drive=root",
            "virtio-serial-device",
            "virtserialport,chardev=agent,name=linux.agent",
            "virtio-rng-device",
            "virtio-balloon-device,free-page-reporting=on",
            "virtio-net-device,netdev=net0,mac=" + arm.macAddress()),
        devices(cmd));
    // Everything but the machine, the console and the binary is what x86_64 gets.
    List<String> x86 = QemuCommandLine.build(spec(Accelerator.TCG), "/usr/bin/qemu-system-x86_64");
    assertEquals(x86.size(), cmd.size());
    for (int i = 1; i < cmd.size(); i++) {
      if (!List.of("-M", "-append").contains(cmd.get(i - 1))) {
        assertEquals(x86.get(i), cmd.get(i), "argument " + i);
      }
    }
  }

  @Test
  void aarch64UnderKvmOrHvfUsesTheHostCpu() {
    for (Accelerator accel : List.of(Accelerator.KVM, Accelerator.HVF)) {
      List<String> cmd = QemuCommandLine.build(
          spec(accel).withArchitecture(Architecture.AARCH64), "qemu-system-aarch64");
      assertEquals(accel.qemuName(), value(cmd, "-accel"));
      assertEquals("host", value(cmd, "-cpu"));
    }
  }

  @Test
  void theBinaryMustEmulateTheGuestsArchitecture() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> QemuCommandLine.build(spec(Accelerator.TCG).withArchitecture(Architecture.AARCH64), "qemu-system-x86_64"));
    assertEquals("unsupported QEMU binary 'qemu-system-x86_64': a linux/arm64 guest needs qemu-system-aarch64",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> QemuCommandLine.build(spec(Accelerator.TCG), "qemu-system-aarch64"));
  }

  private static List<String> devices(List<String> cmd) {
    List<String> devices = new java.util.ArrayList<>();
    for (int i = 0; i < cmd.size() - 1; i++) {
      if (cmd.get(i).equals("-device")) {
        devices.add(cmd.get(i + 1));
      }
    }
    return devices;
  }
}
