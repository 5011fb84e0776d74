package main

import (
	"bufio"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// powerOff stops every process, unmounts the environment and powers the VM off. Only for PID 1.
func powerOff(r *reaper, grace time.Duration) {
	logf("stopping all processes")
	_ = unix.Kill(-1, unix.SIGTERM)
	waitNoChildren(r, grace)
	_ = unix.Kill(-1, unix.SIGKILL)
	waitNoChildren(r, 2*time.Second)
	unix.Sync()
	// The environment's mount namespace holds its own copy of the disk's mount: unmounting ours
	// alone would leave the file system mounted and its journal dirty. Read-only first makes the
	// file system clean (journal flushed, needs_recovery cleared) whoever still holds it.
	if err := unix.Mount("", envRoot, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil && err != unix.EINVAL {
		logf("remount %s read-only: %v", envRoot, err)
	}
	unmountUnder(envRoot)
	unix.Sync()
	logf("powering off")
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	logf("power off: %v; restarting instead", err)
	err = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	logf("restart: %v", err)
}

func waitNoChildren(r *reaper, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		r.reap()
		if !r.hasChildren() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mountPointsUnder lists mount points at or below dir from a mountinfo stream, in mount order.
func mountPointsUnder(mountinfo string, dir string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// unescapeMountinfo decodes the octal escapes (\040 for space and so on) of mountinfo fields.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			o := s[i+1 : i+4]
			if len(o) == 3 && o[0] >= '0' && o[0] <= '3' && o[1] >= '0' && o[1] <= '7' && o[2] >= '0' && o[2] <= '7' {
				b.WriteByte((o[0]-'0')<<6 | (o[1]-'0')<<3 | (o[2] - '0'))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder unmounts everything at or below dir, innermost (latest) first; a busy mount is
// detached, and dir itself is remounted read-only if it cannot be unmounted.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		logf("unmount: %v", err)
		return
	}
	mps := mountPointsUnder(string(b), dir)
	for i := len(mps) - 1; i >= 0; i-- {
		mp := mps[i]
		if err := unix.Unmount(mp, 0); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			if mp == dir {
				logf("unmount %s: %v; remounting read-only", mp, err)
				if err := unix.Mount("", mp, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
					logf("remount %s read-only: %v", mp, err)
				}
				unix.Sync()
			}
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
				logf("unmount %s: %v", mp, err)
			}
		}
	}
}
