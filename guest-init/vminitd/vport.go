package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// vportListener serves gRPC over a virtio-serial port, one host connection at a time.
//
// The port is a single byte stream with a "host connected" flag: a host connection ends when a
// read returns 0 (no data left and no host) or poll(2) reports POLLHUP. Closing and reopening the
// device between connections would lose data (the kernel discards unread input on close), and a
// host that disconnects and reconnects quickly may never be seen disconnected at all. So the
// listener opens the device once, keeps it open, and runs one reader that splits the incoming
// stream into sessions:
//   - a session starts with the HTTP/2 client preface ("PRI * HTTP/2.0...") that every new host
//     connection sends first; the reader follows the HTTP/2 frame headers of the session, so a new
//     preface at a frame boundary means the host reconnected without the guest seeing it;
//   - a read of 0 bytes (the host went away) ends the session: its conn reads io.EOF and its writes
//     fail, so nothing of an old session reaches the next host;
//   - when gRPC closes a conn itself (e.g. a protocol error), the reader discards input until the
//     next preface.
//
// Accept returns a fresh net.Conn for each session; gRPC serves each as a new HTTP/2 connection.
type vportListener struct {
	name string
	// open returns a non-blocking, close-on-exec file descriptor for the port.
	open func() (int, error)

	conns chan *vportConn
	done  chan struct{}
	once  sync.Once

	writeMu sync.Mutex // serializes writes to the device; held by one conn write at a time
	f       *os.File   // the device, set by the reader
	fd      int
}

const (
	vportMinBackoff = 10 * time.Millisecond
	vportMaxBackoff = 200 * time.Millisecond
	vportMaxBuffer  = 1 << 20 // unread input per conn before the reader waits
)

// http2Preface is what every HTTP/2 client sends first.
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

func newVportListener(name string, open func() (int, error)) *vportListener {
	l := &vportListener{
		name:  name,
		open:  open,
		conns: make(chan *vportConn),
		done:  make(chan struct{}),
	}
	goSafe("agent port reader", l.run)
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

// hostConnected: poll(2) reports POLLHUP while no host is attached to the port.
func hostConnected(fd int) (bool, error) {
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

// openDevice opens the port, retrying with backoff until it exists.
func (l *vportListener) openDevice() bool {
	backoff := vportMinBackoff
	logged := false
	for {
		fd, err := l.open()
		if err == nil {
			l.fd = fd
			l.f = os.NewFile(uintptr(fd), l.name)
			return true
		}
		if !logged {
			debugf("agent port %s: not available yet: %v", l.name, err)
			logged = true
		}
		if !l.sleep(backoff) {
			return false
		}
		backoff = nextBackoff(backoff)
	}
}

// waitForHost blocks (polling with backoff, never spinning) until a host is connected.
func (l *vportListener) waitForHost() bool {
	backoff := vportMinBackoff
	for {
		ok, err := hostConnected(l.fd)
		if err != nil {
			logf("agent port %s: poll: %v", l.name, err)
		} else if ok {
			return true
		}
		if !l.sleep(backoff) {
			return false
		}
		backoff = nextBackoff(backoff)
	}
}

// staleEOFWindow: how long a possibly stale disconnect may last before it ends the session.
const staleEOFWindow = time.Second

// waitForHostFor is waitForHost with a limit; it reports whether the host is connected.
func (l *vportListener) waitForHostFor(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	backoff := vportMinBackoff
	for {
		if ok, err := hostConnected(l.fd); err == nil && ok {
			return true
		}
		if time.Now().After(deadline) || !l.sleep(backoff) {
			return false
		}
		backoff = nextBackoff(backoff)
	}
}

// run is the single reader of the device.
//
// Data and connection events travel on different virtqueues, so the guest may see a new host's
// preface before the notification that the previous host left. Such a session starts "owing" one
// disconnect: the next read of 0 bytes may be stale, and it ends the session only if the host
// stays away longer than staleEOFWindow (a real reconnect sends a new preface anyway).
func (l *vportListener) run() {
	if !l.openDevice() {
		return
	}
	defer l.f.Close()
	var cur *vportConn
	sp := &h2splitter{}
	sawEOF := true // no host seen yet
	eofOwed := false
	endSession := func() {
		if cur != nil {
			cur.endInput()
			// Abort a write blocked on the old host; the next session clears the deadline.
			_ = l.f.SetWriteDeadline(time.Now())
			cur = nil
		}
		sp.reset()
	}
	defer endSession()
	startSession := func(nonce []byte) bool {
		endSession()
		eofOwed = !sawEOF
		sawEOF = false
		l.writeMu.Lock()
		_ = l.f.SetWriteDeadline(time.Time{})
		if nonce != nil {
			if _, err := l.f.Write([]byte(readyPrefix + string(nonce) + "\n")); err != nil {
				debugf("agent port %s: ready line: %v", l.name, err)
			}
		}
		l.writeMu.Unlock()
		c := newVportConn(l)
		select {
		case l.conns <- c:
			cur = c
			debugf("agent port %s: new host session", l.name)
			return true
		case <-l.done:
			return false
		}
	}
	buf := make([]byte, 64<<10)
	if !l.waitForHost() {
		return
	}
	for {
		n, err := l.f.Read(buf)
		if n > 0 {
			if cur != nil && cur.isClosed() {
				// gRPC dropped the session: skip to the next client preface.
				cur = nil
				sp.reset()
			}
			ok := sp.feed(buf[:n], func(data []byte) {
				if cur != nil {
					cur.push(data)
				}
			}, startSession)
			if !ok {
				return
			}
		}
		if err == nil {
			continue
		}
		if err == io.EOF {
			if eofOwed {
				eofOwed = false
				if l.waitForHostFor(staleEOFWindow) {
					debugf("agent port %s: stale disconnect ignored", l.name)
					continue
				}
			}
			// The host went away; wait for the next one.
			debugf("agent port %s: host disconnected", l.name)
			sawEOF = true
			endSession()
			if !l.waitForHost() {
				return
			}
			continue
		}
		select {
		case <-l.done:
			return
		default:
		}
		logf("agent port %s: read: %v; reopening", l.name, err)
		sawEOF = true
		endSession()
		l.f.Close()
		if !l.sleep(vportMaxBackoff) || !l.openDevice() || !l.waitForHost() {
			return
		}
	}
}

func (l *vportListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *vportListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *vportListener) Addr() net.Addr { return vportAddr(l.name) }

type vportAddr string

func (a vportAddr) Network() string { return "virtio-serial" }
func (a vportAddr) String() string  { return string(a) }

// Session hello: a host that wants a clean start writes helloPrefix + 32 lowercase hex digits (a
// fresh nonce) + "\n" before its HTTP/2 preface; the guest answers readyPrefix + the same nonce +
// "\n" before any HTTP/2 byte of that session. Output the guest wrote after an earlier host left
// is queued by QEMU and delivered to the next host; such a host discards everything it reads up to
// and including its own ready line. Both lines start with a byte that no HTTP/2 frame header can
// start with here (it would announce a frame of more than 5 MB), so they are recognised at frame
// boundaries.
const (
	helloPrefix = "VMINITD-HELLO "
	readyPrefix = "VMINITD-READY "
	nonceLen    = 32
	helloLen    = len(helloPrefix) + nonceLen + 1
)

func isHello(b []byte) bool {
	if len(b) != helloLen || !bytes.HasPrefix(b, []byte(helloPrefix)) || b[helloLen-1] != '\n' {
		return false
	}
	for _, c := range b[len(helloPrefix) : helloLen-1] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// h2splitter follows the host-to-guest byte stream: scanning for a session start (a hello or an
// HTTP/2 client preface), then frame by frame. feed calls data for the bytes of the current session
// and start when a new session begins (with the hello's nonce, or nil), before its first bytes.
type h2splitter struct {
	inSession     bool
	expectPreface bool   // after a hello: the next preface belongs to the same session
	window        []byte // scanning: the last bytes seen
	hdr           []byte // in a session at a frame boundary: bytes gathered so far
	need          int    // in a session: payload bytes left in the current frame
}

func (s *h2splitter) reset() { *s = h2splitter{} }

func (s *h2splitter) begin(nonce []byte, data func([]byte), start func([]byte) bool) bool {
	if !start(nonce) {
		return false
	}
	s.inSession, s.window, s.hdr, s.need = true, nil, s.hdr[:0], 0
	s.expectPreface = nonce != nil
	if nonce == nil {
		data(http2Preface)
	}
	return true
}

func (s *h2splitter) feed(b []byte, data func([]byte), start func([]byte) bool) bool {
	for len(b) > 0 {
		if !s.inSession {
			c := b[0]
			b = b[1:]
			s.window = append(s.window, c)
			if len(s.window) > 2*helloLen {
				s.window = append(s.window[:0], s.window[len(s.window)-helloLen:]...)
			}
			if c != '\n' {
				continue
			}
			if bytes.HasSuffix(s.window, http2Preface) {
				if !s.begin(nil, data, start) {
					return false
				}
			} else if len(s.window) >= helloLen && isHello(s.window[len(s.window)-helloLen:]) {
				nonce := append([]byte(nil), s.window[len(s.window)-helloLen+len(helloPrefix):len(s.window)-1]...)
				if !s.begin(nonce, data, start) {
					return false
				}
			}
			continue
		}
		if s.need > 0 {
			n := s.need
			if n > len(b) {
				n = len(b)
			}
			data(b[:n])
			s.need -= n
			b = b[n:]
			continue
		}
		// At a frame boundary: gather the 9-byte header, or a whole preface or hello.
		want := 9
		if len(s.hdr) >= 9 {
			if bytes.Equal(s.hdr[:9], http2Preface[:9]) {
				want = len(http2Preface)
			} else if bytes.Equal(s.hdr[:9], []byte(helloPrefix[:9])) {
				want = helloLen
			}
		}
		n := want - len(s.hdr)
		if n > len(b) {
			n = len(b)
		}
		s.hdr = append(s.hdr, b[:n]...)
		b = b[n:]
		if len(s.hdr) < want {
			continue
		}
		if want == 9 && (bytes.Equal(s.hdr, http2Preface[:9]) || bytes.Equal(s.hdr, []byte(helloPrefix[:9]))) {
			continue // maybe a preface or a hello: gather the rest
		}
		if bytes.Equal(s.hdr, http2Preface) {
			s.hdr = s.hdr[:0]
			if s.expectPreface {
				s.expectPreface = false
				data(http2Preface)
				continue
			}
			// A new host connection the guest did not see begin.
			if !s.begin(nil, data, start) {
				return false
			}
			continue
		}
		if isHello(s.hdr) {
			nonce := append([]byte(nil), s.hdr[len(helloPrefix):helloLen-1]...)
			s.hdr = s.hdr[:0]
			if !s.begin(nonce, data, start) {
				return false
			}
			continue
		}
		s.expectPreface = false
		data(s.hdr)
		s.need = int(s.hdr[0])<<16 | int(s.hdr[1])<<8 | int(s.hdr[2])
		s.need -= len(s.hdr) - 9 // bytes gathered beyond the header belong to the payload
		if s.need < 0 {
			s.need = 0
		}
		s.hdr = s.hdr[:0]
	}
	return true
}

// vportConn is one host session.
type vportConn struct {
	l      *vportListener
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	eof    bool // the session's input ended (host gone or a new session began)
	closed bool
}

func newVportConn(l *vportListener) *vportConn {
	c := &vportConn{l: l}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// push queues session input, waiting while too much is unread.
func (c *vportConn) push(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) >= vportMaxBuffer && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return
	}
	c.buf = append(c.buf, b...)
	c.cond.Broadcast()
}

func (c *vportConn) endInput() {
	c.mu.Lock()
	c.eof = true
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *vportConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *vportConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) == 0 && !c.eof && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return 0, net.ErrClosed
	}
	if len(c.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.buf)
	c.buf = c.buf[n:]
	if len(c.buf) == 0 {
		c.buf = nil
	}
	c.cond.Broadcast()
	return n, nil
}

var errSessionEnded = errors.New("agent session ended")

func (c *vportConn) Write(b []byte) (int, error) {
	c.l.writeMu.Lock()
	defer c.l.writeMu.Unlock()
	c.mu.Lock()
	ended := c.eof || c.closed
	c.mu.Unlock()
	if ended {
		return 0, errSessionEnded
	}
	return c.l.f.Write(b)
}

func (c *vportConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.buf = nil
		c.cond.Broadcast()
		debugf("agent port %s: session closed", c.l.name)
	}
	c.mu.Unlock()
	return nil
}

func (c *vportConn) LocalAddr() net.Addr  { return vportAddr("guest:" + c.l.name) }
func (c *vportConn) RemoteAddr() net.Addr { return vportAddr("host:" + c.l.name) }

// Deadlines are accepted and ignored: a session ends when its host goes away or is replaced.
func (c *vportConn) SetDeadline(t time.Time) error      { return nil }
func (c *vportConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *vportConn) SetWriteDeadline(t time.Time) error { return nil }
