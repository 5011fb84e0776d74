package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// envRoot is where the environment disk is mounted; processes run chrooted into it.
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

// earlyMounts sets up the initramfs itself: /proc, /sys, /dev, /dev/pts, /run.
func earlyMounts() {
	const nodev = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, m := range []mountSpec{
		{"proc", "/proc", "proc", nodev, "", 0o555},
		{"sysfs", "/sys", "sysfs", nodev, "", 0o555},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", 0o755},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0o755},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
	} {
		if err := mountOne(m); err != nil {
			logf("%v", err)
		}
	}
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
	const nodev = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, m := range []mountSpec{
		{"proc", envRoot + "/proc", "proc", nodev, "", 0o555},
		{"sysfs", envRoot + "/sys", "sysfs", nodev, "", 0o555},
		{"/dev", envRoot + "/dev", "", unix.MS_BIND | unix.MS_REC, "", 0o755},
		{"tmpfs", envRoot + "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
		{"tmpfs", envRoot + "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o755},
	} {
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
