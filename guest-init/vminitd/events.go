package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"vminitd/agentpb"
)

// portPoll is how often an Events stream looks at /proc/net for listening sockets.
const portPoll = 500 * time.Millisecond

// eventHub fans OOM kills and process exits out to every Events stream. A subscriber that does
// not keep up loses events rather than blocking the publisher (its channel is bounded).
type eventHub struct {
	mu   sync.Mutex
	subs map[chan *agentpb.EventsResponse]struct{}
}

func (h *eventHub) subscribe() chan *agentpb.EventsResponse {
	ch := make(chan *agentpb.EventsResponse, 256)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan *agentpb.EventsResponse]struct{}{}
	}
	h.subs[ch] = struct{}{}
	return ch
}

func (h *eventHub) unsubscribe(ch chan *agentpb.EventsResponse) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

func (h *eventHub) publish(e *agentpb.EventsResponse) {
	e.TimeNanos = time.Now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
			debugf("events: a slow subscriber lost an event")
		}
	}
}

// listenKey identifies one listening socket.
type listenKey struct {
	protocol string
	ipv6     bool
	address  string
	port     uint32
}

// parseProcNet returns the listening sockets of one /proc/net/{tcp,tcp6,udp,udp6} file: TCP in
// state LISTEN (0A), UDP bound and unconnected (07).
func parseProcNet(content, protocol string, ipv6 bool) []listenKey {
	want := "0A"
	if protocol == "udp" {
		want = "07"
	}
	var out []listenKey
	sc := bufio.NewScanner(strings.NewReader(content))
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != want {
			continue
		}
		addr, port, err := parseHexAddr(f[1])
		if err != nil {
			continue
		}
		out = append(out, listenKey{protocol, ipv6, addr, port})
	}
	return out
}

// parseHexAddr decodes /proc/net's "0100007F:1F90": the address as 32-bit words in host (little
// endian) order, the port in hex.
func parseHexAddr(s string) (string, uint32, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("no port in %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", 0, err
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", 0, fmt.Errorf("bad address %q", a)
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		ip[w], ip[w+1], ip[w+2], ip[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	return ip.String(), uint32(port), nil
}

// listeningSockets reads every listening socket of the guest (PID 1's network namespace, which
// the environment shares).
func listeningSockets(procNet string) map[listenKey]bool {
	set := map[listenKey]bool{}
	for _, f := range []struct {
		name, protocol string
		ipv6           bool
	}{{"tcp", "tcp", false}, {"tcp6", "tcp", true}, {"udp", "udp", false}, {"udp6", "udp", true}} {
		b, err := os.ReadFile(procNet + "/" + f.name)
		if err != nil {
			continue // no IPv6, for instance
		}
		for _, k := range parseProcNet(string(b), f.protocol, f.ipv6) {
			set[k] = true
		}
	}
	return set
}

// diffSockets lists what opened (in now, not before) and what closed, each sorted.
func diffSockets(before, now map[listenKey]bool) (opened, closed []listenKey) {
	for k := range now {
		if !before[k] {
			opened = append(opened, k)
		}
	}
	for k := range before {
		if !now[k] {
			closed = append(closed, k)
		}
	}
	less := func(s []listenKey) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := s[i], s[j]
			if a.port != b.port {
				return a.port < b.port
			}
			return fmt.Sprint(a) < fmt.Sprint(b)
		}
	}
	sort.Slice(opened, less(opened))
	sort.Slice(closed, less(closed))
	return opened, closed
}

func portEvent(k listenKey, open bool) *agentpb.EventsResponse {
	return &agentpb.EventsResponse{Kind: &agentpb.EventsResponse_Port{Port: &agentpb.PortEvent{
		Protocol: k.protocol, Ipv6: k.ipv6, Address: k.address, Port: k.port, Open: open}}}
}

var oomKilled = regexp.MustCompile(`Killed process (\d+) \(([^)]*)\)`)

// parseOomLine recognises the kernel's OOM kill report in one /dev/kmsg record
// ("PRIO,SEQ,TIME,FLAGS;MESSAGE").
func parseOomLine(record string) (*agentpb.OomKill, bool) {
	_, msg, ok := strings.Cut(record, ";")
	if !ok {
		msg = record
	}
	msg = strings.TrimRight(msg, "\n")
	if !strings.Contains(msg, "out of memory") && !strings.Contains(msg, "Out of memory") {
		return nil, false
	}
	m := oomKilled.FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	pid, _ := strconv.Atoi(m[1])
	return &agentpb.OomKill{Pid: int32(pid), Command: m[2], Message: msg}, true
}

// watchKernelLog publishes OOM kills from /dev/kmsg, starting with records written from now on.
func watchKernelLog(h *eventHub) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		logf("events: kernel log: %v; OOM kills are not reported", err)
		return
	}
	defer unix.Close(fd)
	_, _ = unix.Seek(fd, 0, unix.SEEK_END)
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EPIPE: // records were overwritten before we read them: go on
			continue
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			logf("events: kernel log: %v", err)
			time.Sleep(time.Second)
			continue
		}
		if oom, ok := parseOomLine(string(buf[:n])); ok {
			h.publish(&agentpb.EventsResponse{Kind: &agentpb.EventsResponse_OomKill{OomKill: oom}})
		}
	}
}

func (s *agentServer) Events(_ *agentpb.EventsRequest, stream agentpb.GuestAgent_EventsServer) error {
	ch := s.events.subscribe()
	defer s.events.unsubscribe(ch)
	send := func(e *agentpb.EventsResponse) error {
		if e.TimeNanos == 0 {
			e.TimeNanos = time.Now().UnixNano()
		}
		return stream.Send(e)
	}
	known := map[listenKey]bool{}
	tick := time.NewTicker(portPoll)
	defer tick.Stop()
	ctx := stream.Context()
	for {
		now := listeningSockets("/proc/net")
		opened, closed := diffSockets(known, now)
		known = now
		for _, k := range closed {
			if err := send(portEvent(k, false)); err != nil {
				return err
			}
		}
		for _, k := range opened {
			if err := send(portEvent(k, true)); err != nil {
				return err
			}
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case e := <-ch:
				if err := send(e); err != nil {
					return err
				}
			case <-tick.C:
				break wait
			}
		}
	}
}
