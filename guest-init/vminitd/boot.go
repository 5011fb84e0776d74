package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// envRoot is where the environment disk is mounted in PID 1's mount namespace; processes run in
// a mount namespace whose root it is (see namespace.go).
const envRoot = "/run/env"

type mountSpec struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
	dirMode                os.FileMode
}

func mountOne(m mountSpec) error {
	if err := os.MkdirAll(m.target, m.dirMode); err != nil {
		return fmt.Errorf("mkdir %s: %w", m.target, err)
	}
	if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
		if err == unix.EBUSY {
			return nil // already mounted
		}
		return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err)
	}
	return nil
}

const nodevExec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// initramfsMounts is what PID 1 mounts for itself, in order.
func initramfsMounts() []mountSpec {
	return []mountSpec{
		{"proc", "/proc", "proc", nodevExec, "", 0o555},
		{"sysfs", "/sys", "sysfs", nodevExec, "", 0o555},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", nodevExec, "nsdelegate", 0o555},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", 0o755},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0o755},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o755},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
	}
}

// environmentMounts is what the environment gets inside root once its disk is mounted there, in
// order: its own proc, sysfs and cgroup2, the guest's /dev (with pts and shm), fresh /run and
// /tmp.
func environmentMounts(root string) []mountSpec {
	return []mountSpec{
		{"proc", root + "/proc", "proc", nodevExec, "", 0o555},
		{"sysfs", root + "/sys", "sysfs", nodevExec, "", 0o555},
		{"cgroup2", root + "/sys/fs/cgroup", "cgroup2", nodevExec, "nsdelegate", 0o555},
		{"/dev", root + "/dev", "", unix.MS_BIND | unix.MS_REC, "", 0o755},
		{"tmpfs", root + "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
		{"tmpfs", root + "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o755},
	}
}

// earlyMounts sets up the initramfs itself.
func earlyMounts() {
	for _, m := range initramfsMounts() {
		if err := mountOne(m); err != nil {
			logf("%v", err)
		}
	}
}

// leaveRootfs makes PID 1's root a bind mount of the initramfs instead of the initramfs (rootfs)
// itself, as switch_root does with a real root: pivot_root(2) refuses to move away from rootfs,
// and the environment's mount namespace needs pivot_root so that nothing of the initramfs stays
// reachable from inside it.
func leaveRootfs() error {
	const dir = "/.vminitd-root"
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if err := unix.Mount("/", dir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind / on %s: %w", dir, err)
	}
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to /: %w", dir, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	_ = os.Remove(dir) // the empty mount point, seen again through the bind mount
	return nil
}

// setupConsole points fds 0-2 at /dev/console when the kernel could not (an initramfs without a
// /dev/console node starts init with no stdio).
func setupConsole() {
	fd, err := unix.Open("/dev/console", unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return
	}
	keep := false
	for i := 0; i <= 2; i++ {
		if i == fd {
			keep = true
			continue
		}
		if _, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0); err != nil {
			_ = unix.Dup3(fd, i, 0)
		}
	}
	if !keep {
		unix.Close(fd)
	}
}

func setHostname(name string) {
	if name == "" {
		return
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		logf("hostname %q: %v", name, err)
	}
}

// waitForDevice polls for a device node with backoff.
func waitForDevice(dev string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	backoff := 5 * time.Millisecond
	for {
		_, err := os.Stat(dev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(backoff)
		if backoff < 100*time.Millisecond {
			backoff *= 2
		}
	}
}

// mountEnvironment mounts the environment disk at envRoot and prepares it for processes. It
// returns an error (and leaves the environment unusable) only when the disk itself cannot be
// mounted; problems with the inner mounts are logged.
func mountEnvironment(dev string) error {
	if dev == "" {
		return errors.New("no environment disk configured (" + keyRoot + "= missing)")
	}
	if err := waitForDevice(dev, 10*time.Second); err != nil {
		return fmt.Errorf("environment disk %s: %w", dev, err)
	}
	if err := os.MkdirAll(envRoot, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, envRoot, "ext4", unix.MS_RELATIME, ""); err != nil {
		return fmt.Errorf("mount %s (ext4) on %s: %w", dev, envRoot, err)
	}
	// Shared, so that mounts added under it later (shares) propagate into the environment's
	// mount namespace, whose copy is a slave of this one.
	if err := unix.Mount("", envRoot, "", unix.MS_SHARED, ""); err != nil {
		logf("environment: make %s shared: %v", envRoot, err)
	}
	for _, m := range environmentMounts(envRoot) {
		if err := mountOne(m); err != nil {
			logf("environment: %v", err)
		}
	}
	return nil
}

// readCmdline reads the kernel command line.
func readCmdline() string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		logf("read /proc/cmdline: %v", err)
		return ""
	}
	return string(b)
}
