package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// vportListener serves connections over a virtio-serial port. The port device allows one open at a
// time and carries one host connection at a time: Accept waits until the previous connection is
// closed, opens the device, waits until a host is connected and returns a net.Conn over it. When
// the host disconnects, Read reports io.EOF; closing the conn closes the device so the next Accept
// can reopen it for the host's next connection.
type vportListener struct {
	// open returns a non-blocking, close-on-exec file descriptor for the port.
	open func() (int, error)
	// hostConnected reports whether a host is attached to fd (poll(2) reports POLLHUP while none is).
	hostConnected func(fd int) (bool, error)
	name          string

	mu      sync.Mutex
	closed  bool
	done    chan struct{} // closed by Close
	free    chan struct{} // holds a token while no conn is open
	current *vportConn
}

const (
	vportMinBackoff = 10 * time.Millisecond
	vportMaxBackoff = 200 * time.Millisecond
)

func newVportListener(name string, open func() (int, error)) *vportListener {
	l := &vportListener{
		open:          open,
		hostConnected: pollHostConnected,
		name:          name,
		done:          make(chan struct{}),
		free:          make(chan struct{}, 1),
	}
	l.free <- struct{}{}
	return l
}

// listenVirtioPort serves on the virtio-serial port that sysfs names `name`, waiting for the port
// to appear.
func listenVirtioPort(name string) *vportListener {
	return newVportListener(name, func() (int, error) {
		dev, err := findVirtioPort("/sys/class/virtio-ports", name)
		if err != nil {
			return -1, err
		}
		return unix.Open(dev, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	})
}

// findVirtioPort maps a port name to its device node: /sys/class/virtio-ports/vportNpM/name holds
// the name; the device is /dev/vportNpM.
func findVirtioPort(sysDir, name string) (string, error) {
	entries, err := os.ReadDir(sysDir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(sysDir, e.Name(), "name"))
		if err != nil {
			continue
		}
		if strings.TrimSpace(string(b)) == name {
			return filepath.Join("/dev", e.Name()), nil
		}
	}
	return "", os.ErrNotExist
}

func pollHostConnected(fd int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}}
	for {
		_, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		return fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) == 0, nil
	}
}

var errListenerClosed = net.ErrClosed

func (l *vportListener) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

func nextBackoff(d time.Duration) time.Duration {
	d *= 2
	if d > vportMaxBackoff {
		d = vportMaxBackoff
	}
	return d
}

func (l *vportListener) Accept() (net.Conn, error) {
	// One connection at a time: wait for the previous one to be closed.
	select {
	case <-l.free:
	case <-l.done:
		return nil, errListenerClosed
	}
	backoff := vportMinBackoff
	loggedOpen := false
	for {
		fd, err := l.open()
		if err != nil {
			if !loggedOpen {
				debugf("agent port %s: not available yet: %v", l.name, err)
				loggedOpen = true
			}
			if !l.sleep(backoff) {
				l.free <- struct{}{}
				return nil, errListenerClosed
			}
			backoff = nextBackoff(backoff)
			continue
		}
		backoff = vportMinBackoff
		for {
			ok, err := l.hostConnected(fd)
			if err != nil {
				unix.Close(fd)
				logf("agent port %s: poll: %v", l.name, err)
				break
			}
			if ok {
				c := &vportConn{f: os.NewFile(uintptr(fd), l.name), l: l}
				l.mu.Lock()
				if l.closed {
					l.mu.Unlock()
					c.f.Close()
					l.free <- struct{}{}
					return nil, errListenerClosed
				}
				l.current = c
				l.mu.Unlock()
				debugf("agent port %s: host connected", l.name)
				return c, nil
			}
			if !l.sleep(backoff) {
				unix.Close(fd)
				l.free <- struct{}{}
				return nil, errListenerClosed
			}
			backoff = nextBackoff(backoff)
		}
		if !l.sleep(backoff) {
			l.free <- struct{}{}
			return nil, errListenerClosed
		}
	}
}

func (l *vportListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	return nil
}

func (l *vportListener) Addr() net.Addr { return vportAddr(l.name) }

type vportAddr string

func (a vportAddr) Network() string { return "virtio-serial" }
func (a vportAddr) String() string  { return string(a) }

// vportConn is one host connection over the port device.
type vportConn struct {
	f    *os.File
	l    *vportListener
	once sync.Once
}

func (c *vportConn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	// os.File reports a 0-byte read (the host went away) as io.EOF.
	return n, err
}

func (c *vportConn) Write(b []byte) (int, error) { return c.f.Write(b) }

func (c *vportConn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.f.Close()
		c.l.mu.Lock()
		if c.l.current == c {
			c.l.current = nil
		}
		c.l.mu.Unlock()
		debugf("agent port %s: connection closed", c.l.name)
		c.l.free <- struct{}{}
	})
	return err
}

func (c *vportConn) LocalAddr() net.Addr  { return vportAddr("guest:" + c.l.name) }
func (c *vportConn) RemoteAddr() net.Addr { return vportAddr("host:" + c.l.name) }

func (c *vportConn) SetDeadline(t time.Time) error      { return ignoreNoDeadline(c.f.SetDeadline(t)) }
func (c *vportConn) SetReadDeadline(t time.Time) error  { return ignoreNoDeadline(c.f.SetReadDeadline(t)) }
func (c *vportConn) SetWriteDeadline(t time.Time) error { return ignoreNoDeadline(c.f.SetWriteDeadline(t)) }

// Deadlines work when the device is pollable; otherwise they are accepted and ignored.
func ignoreNoDeadline(err error) error {
	if errors.Is(err, os.ErrNoDeadline) {
		return nil
	}
	return err
}
