package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// keyNet on the kernel command line names the network vminitd configures: "user" (QEMU's
// user-mode network) or "none"/absent (only lo).
const keyNet = "linux.net"

// QEMU's user-mode network (slirp) is fixed: the guest is 10.0.2.15/24, the host's loopback is
// reached through the gateway 10.0.2.2 and its DNS forwarder is 10.0.2.3. It has no MTU option of
// its own in QEMU 7.2 (slirp's default is 1500, virtio-net's too).
var (
	userNetAddr    = [4]byte{10, 0, 2, 15}
	userNetGateway = [4]byte{10, 0, 2, 2}
)

const (
	userNetPrefix = 24
	userNetMTU    = 1500
	netNone       = "none"
	netUser       = "user"
	// nicWait bounds the wait for the virtio-net interface to appear after its module loaded.
	nicWait = 2 * time.Second
)

// configureNetwork brings lo up and, for the user-mode network, configures the first other
// interface: MTU, 10.0.2.15/24, up, default route via 10.0.2.2. It never fails the boot: it
// returns a one-line problem (empty when all went well), also logged.
func configureNetwork(mode string) (failure string) {
	problem := func(format string, args ...interface{}) string {
		p := "network: " + fmt.Sprintf(format, args...)
		logf("%s", p)
		return p
	}
	defer func() {
		if r := recover(); r != nil {
			failure = problem("panic (recovered): %v", r)
		}
	}()
	start := time.Now()
	nl, err := openNetlink()
	if err != nil {
		return problem("%v; no interface configured", err)
	}
	defer nl.close()
	if lo, err := ifIndex("lo"); err != nil {
		logf("network: lo: %v", err)
	} else if err := nl.do(linkUpMsg(nl.next(), lo, 0)); err != nil {
		logf("network: bring lo up: %v", err)
	}
	switch mode {
	case "", netNone:
		return ""
	case netUser:
	default:
		return problem("%s=%s is not a known network (user or none); only lo is up", keyNet, mode)
	}
	name, err := waitForNIC("/sys/class/net", nicWait)
	if err != nil {
		return problem("%v; the environment has no network", err)
	}
	index, err := ifIndex(name)
	if err != nil {
		return problem("%s: %v; the environment has no network", name, err)
	}
	steps := []struct {
		what string
		msg  []byte
	}{
		{"set MTU and bring it up", linkUpMsg(nl.next(), index, userNetMTU)},
		{"set address " + cidr(userNetAddr, userNetPrefix), addrMsg(nl.next(), index, userNetAddr, userNetPrefix)},
		{"add default route via " + net.IP(userNetGateway[:]).String(), defaultRouteMsg(nl.next(), index, userNetGateway)},
	}
	for _, s := range steps {
		if err := nl.do(s.msg); err != nil {
			return problem("%s: %s: %v; the environment's network may not work", name, s.what, err)
		}
	}
	debugf("network: %s up, %s via %s, MTU %d (%v)", name, cidr(userNetAddr, userNetPrefix), net.IP(userNetGateway[:]), userNetMTU, time.Since(start))
	return ""
}

func cidr(a [4]byte, prefix int) string {
	return fmt.Sprintf("%s/%d", net.IP(a[:]), prefix)
}

// waitForNIC returns the first interface in dir (sorted by name) that is not lo and is Ethernet
// (type 1), polling with backoff until timeout: a driver may register its device a little after
// its module loaded.
func waitForNIC(dir string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	backoff := 5 * time.Millisecond
	for {
		if name := firstNIC(dir); name != "" {
			return name, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no network interface besides lo in %s after %v (virtio_net not loaded?)", dir, timeout)
		}
		time.Sleep(backoff)
		if backoff < 100*time.Millisecond {
			backoff *= 2
		}
	}
}

func firstNIC(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := os.ReadFile(filepath.Join(dir, n, "type"))
		if n != "lo" && err == nil && strings.TrimSpace(string(t)) == strconv.Itoa(unix.ARPHRD_ETHER) {
			return n
		}
	}
	return ""
}

func ifIndex(name string) (int32, error) {
	b, err := os.ReadFile(filepath.Join("/sys/class/net", name, "ifindex"))
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 32)
	return int32(n), err
}

// rtnetlink is a NETLINK_ROUTE socket that sends one request at a time and waits for its ack.
type rtnetlink struct {
	fd  int
	seq uint32
}

func openNetlink() (*rtnetlink, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink timeout: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &rtnetlink{fd: fd}, nil
}

func (n *rtnetlink) close() { unix.Close(n.fd) }

func (n *rtnetlink) next() uint32 {
	n.seq++
	return n.seq
}

// do sends one request (built with NLM_F_ACK) and returns the kernel's answer to it.
func (n *rtnetlink) do(msg []byte) error {
	seq := native.Uint32(msg[8:12])
	if err := unix.Sendto(n.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 8192)
	for {
		k, _, err := unix.Recvfrom(n.fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		done, err := parseAck(buf[:k], seq)
		if done {
			return err
		}
	}
}

// native is the host's byte order, which netlink uses.
var native = func() binary.ByteOrder {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// nlmsg builds a netlink message: header (length, type, flags with NLM_F_REQUEST|NLM_F_ACK, seq,
// port 0), a fixed body, then attributes, each padded to 4 bytes.
func nlmsg(typ uint16, flags uint16, seq uint32, body []byte, attrs ...[]byte) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN, 64)
	b = append(b, body...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	native.PutUint32(b[0:4], uint32(len(b)))
	native.PutUint16(b[4:6], typ)
	native.PutUint16(b[6:8], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	native.PutUint32(b[8:12], seq)
	return b
}

// rtattr encodes one route attribute, padded to 4 bytes.
func rtattr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, (l+3)&^3)
	native.PutUint16(b[0:2], uint16(l))
	native.PutUint16(b[2:4], typ)
	copy(b[unix.SizeofRtAttr:], data)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	native.PutUint32(b, v)
	return b
}

// linkUpMsg sets IFF_UP on the interface and, when mtu > 0, its MTU (RTM_NEWLINK on an existing
// link changes it).
func linkUpMsg(seq uint32, index int32, mtu uint32) []byte {
	ifi := make([]byte, unix.SizeofIfInfomsg)
	ifi[0] = unix.AF_UNSPEC
	native.PutUint32(ifi[4:8], uint32(index))
	native.PutUint32(ifi[8:12], unix.IFF_UP)  // flags
	native.PutUint32(ifi[12:16], unix.IFF_UP) // change: only IFF_UP
	var attrs [][]byte
	if mtu > 0 {
		attrs = append(attrs, rtattr(unix.IFLA_MTU, u32(mtu)))
	}
	return nlmsg(unix.RTM_NEWLINK, 0, seq, ifi, attrs...)
}

// addrMsg adds (or replaces) an IPv4 address with its prefix and broadcast address.
func addrMsg(seq uint32, index int32, addr [4]byte, prefix int) []byte {
	ifa := make([]byte, unix.SizeofIfAddrmsg)
	ifa[0] = unix.AF_INET
	ifa[1] = byte(prefix)
	ifa[3] = unix.RT_SCOPE_UNIVERSE
	native.PutUint32(ifa[4:8], uint32(index))
	mask := uint32(0xffffffff) << (32 - prefix)
	bcast := binary.BigEndian.Uint32(addr[:]) | ^mask
	var bc [4]byte
	binary.BigEndian.PutUint32(bc[:], bcast)
	return nlmsg(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, seq, ifa,
		rtattr(unix.IFA_LOCAL, addr[:]), rtattr(unix.IFA_ADDRESS, addr[:]), rtattr(unix.IFA_BROADCAST, bc[:]))
}

// defaultRouteMsg adds (or replaces) the IPv4 default route via gw on the interface.
func defaultRouteMsg(seq uint32, index int32, gw [4]byte) []byte {
	rtm := make([]byte, unix.SizeofRtMsg)
	rtm[0] = unix.AF_INET
	rtm[4] = unix.RT_TABLE_MAIN
	rtm[5] = unix.RTPROT_BOOT
	rtm[6] = unix.RT_SCOPE_UNIVERSE
	rtm[7] = unix.RTN_UNICAST
	return nlmsg(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, seq, rtm,
		rtattr(unix.RTA_GATEWAY, gw[:]), rtattr(unix.RTA_OIF, u32(uint32(index))))
}

// parseAck looks through a datagram of netlink messages for the answer to seq: done is true when
// it was found, err then holds the kernel's error (nil for an ack).
func parseAck(b []byte, seq uint32) (done bool, err error) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := native.Uint32(b[0:4])
		if l < unix.NLMSG_HDRLEN || int(l) > len(b) {
			return true, errors.New("netlink: malformed answer")
		}
		typ, s := native.Uint16(b[4:6]), native.Uint32(b[8:12])
		if s == seq && typ == unix.NLMSG_ERROR {
			if l < unix.NLMSG_HDRLEN+4 {
				return true, errors.New("netlink: short error message")
			}
			if code := int32(native.Uint32(b[16:20])); code != 0 {
				return true, unix.Errno(-code)
			}
			return true, nil
		}
		next := int((l + 3) &^ 3)
		if next > len(b) {
			next = len(b)
		}
		b = b[next:]
	}
	return false, nil
}
