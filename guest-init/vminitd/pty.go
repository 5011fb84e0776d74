package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPty allocates a pseudo-terminal: the master is non-blocking (pollable, so reads honour
// deadlines and Close interrupts them); the slave is for the child's stdio.
func openPty() (master *os.File, slave *os.File, err error) {
	var mfd int
	var ptsDir string
	err = unix.ENOENT
	for _, cand := range []struct{ ptmx, dir string }{{"/dev/pts/ptmx", "/dev/pts"}, {"/dev/ptmx", "/dev/pts"}} {
		mfd, err = unix.Open(cand.ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err == nil {
			ptsDir = cand.dir
			break
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	name := fmt.Sprintf("%s/%d", ptsDir, n)
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	return os.NewFile(uintptr(mfd), "ptmx"), os.NewFile(uintptr(sfd), name), nil
}

func setWindowSize(f *os.File, rows, cols uint32) error {
	if rows == 0 || cols == 0 {
		return nil
	}
	if rows > 0xffff {
		rows = 0xffff
	}
	if cols > 0xffff {
		cols = 0xffff
	}
	ws := &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}
	var err error
	rc, cerr := f.SyscallConn()
	if cerr != nil {
		return cerr
	}
	if cerr = rc.Control(func(fd uintptr) { err = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws) }); cerr != nil {
		return cerr
	}
	return err
}

// eofChar is the terminal's VEOF character (normally ^D).
func eofChar(f *os.File) byte {
	c := byte(4)
	rc, err := f.SyscallConn()
	if err != nil {
		return c
	}
	_ = rc.Control(func(fd uintptr) {
		if t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS); err == nil && t.Cc[unix.VEOF] != 0 {
			c = t.Cc[unix.VEOF]
		}
	})
	return c
}
