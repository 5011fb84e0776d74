/**
 * Runs one environment's micro-VM: {@link dev.linux.vm.VmSpec} to a QEMU command line
 * ({@link dev.linux.vm.QemuCommandLine}), accelerator choice ({@link dev.linux.vm.AcceleratorProbe}),
 * guest kernel and init filesystem provisioning ({@link dev.linux.vm.KernelProvisioner},
 * {@link dev.linux.vm.InitramfsBuilder}), the detached VM's lifecycle
 * ({@link dev.linux.vm.VirtualMachine}) and the guest agent client ({@link dev.linux.vm.GuestAgent}).
 * The API speaks plain Java: no gRPC, netty or protobuf types appear in it.
 */
package dev.linux.vm;
