package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"

	"vminitd/agentpb"
)

func frame(typ byte, payload string) []byte {
	n := len(payload)
	return append([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, 0, 0, 0, 0, 1}, payload...)
}

func TestSplitterSessions(t *testing.T) {
	hello := []byte(helloPrefix + strings.Repeat("ab", 16) + "\n")
	var stream []byte
	stream = append(stream, "stale garbage"...)
	stream = append(stream, http2Preface...)
	stream = append(stream, frame(4, "")...)
	stream = append(stream, frame(0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n inside a payload")...)
	s1len := len(stream) - len("stale garbage")
	stream = append(stream, http2Preface...) // a new host, never seen disconnecting
	stream = append(stream, frame(1, "x")...)
	stream = append(stream, hello...) // a third host, with a hello
	stream = append(stream, http2Preface...)
	stream = append(stream, frame(8, "1234")...)

	for _, step := range []int{1, 3, 7, len(stream)} {
		sp := &h2splitter{}
		var sessions [][]byte
		var nonces []string
		start := func(nonce []byte) bool {
			sessions = append(sessions, nil)
			nonces = append(nonces, string(nonce))
			return true
		}
		data := func(b []byte) { sessions[len(sessions)-1] = append(sessions[len(sessions)-1], b...) }
		for off := 0; off < len(stream); off += step {
			end := off + step
			if end > len(stream) {
				end = len(stream)
			}
			sp.feed(stream[off:end], data, start)
		}
		if len(sessions) != 3 {
			t.Fatalf("step %d: %d sessions", step, len(sessions))
		}
		if len(sessions[0]) != s1len || !bytes.HasPrefix(sessions[0], http2Preface) {
			t.Fatalf("step %d: session 1 = %q", step, sessions[0])
		}
		if !bytes.Equal(sessions[1], append(append([]byte{}, http2Preface...), frame(1, "x")...)) {
			t.Fatalf("step %d: session 2 = %q", step, sessions[1])
		}
		if nonces[0] != "" || nonces[2] != strings.Repeat("ab", 16) {
			t.Fatalf("step %d: nonces %q", step, nonces)
		}
		if !bytes.Equal(sessions[2], append(append([]byte{}, http2Preface...), frame(8, "1234")...)) {
			t.Fatalf("step %d: session 3 = %q", step, sessions[2])
		}
	}
}

// hostStream is the host end of the channel shared by successive clients, as QEMU's socket is for
// successive host connections; a client's Close ends only its own view.
type hostStream struct {
	mu sync.Mutex
	c  net.Conn
}

type hostSession struct {
	net.Conn
	closed atomic.Bool
	prefix []byte
}

func (h *hostSession) Read(b []byte) (int, error) {
	if h.closed.Load() {
		return 0, io.EOF
	}
	if len(h.prefix) > 0 {
		n := copy(b, h.prefix)
		h.prefix = h.prefix[n:]
		return n, nil
	}
	n, err := h.Conn.Read(b)
	if h.closed.Load() {
		return 0, io.EOF
	}
	return n, err
}

func (h *hostSession) Write(b []byte) (int, error) {
	if h.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	return h.Conn.Write(b)
}

func (h *hostSession) Close() error {
	if !h.closed.Swap(true) {
		_ = h.Conn.SetReadDeadline(time.Now())
	}
	return nil
}

// dial starts a session on the shared stream, with the hello handshake when hello is set.
func (s *hostStream) dial(hello bool, nonce string) (net.Conn, error) {
	time.Sleep(50 * time.Millisecond) // let the previous session's reader notice its close
	_ = s.c.SetReadDeadline(time.Time{})
	h := &hostSession{Conn: s.c}
	if !hello {
		return h, nil
	}
	if _, err := s.c.Write([]byte(helloPrefix + nonce + "\n")); err != nil {
		return nil, err
	}
	ready := []byte(readyPrefix + nonce + "\n")
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.c.Read(buf)
		seen = append(seen, buf[:n]...)
		if i := bytes.Index(seen, ready); i >= 0 {
			h.prefix = append([]byte(nil), seen[i+len(ready):]...)
			return h, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func startTestAgent(t *testing.T) *hostStream {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	var opened atomic.Bool
	lis := newVportListener("test", func() (int, error) {
		if opened.Swap(true) {
			return -1, unix.ENOENT
		}
		return fds[0], nil
	})
	f := os.NewFile(uintptr(fds[1]), "host")
	hc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	env := &envState{}
	env.set(true, "")
	s := &agentServer{spawner: &spawner{root: "/", reaper: startTestReaper(t)}, env: env}
	srv := newGRPCServer(s)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); lis.Close(); hc.Close() })
	return &hostStream{c: hc}
}

func clientOn(t *testing.T, s *hostStream, hello bool, nonce string) (*grpc.ClientConn, agentpb.GuestAgentClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var once sync.Once
	cc, err := grpc.DialContext(ctx, "agent", grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var c net.Conn
			var err error = fmt.Errorf("one connection per client in this test")
			once.Do(func() { c, err = s.dial(hello, nonce) })
			return c, err
		}))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return cc, agentpb.NewGuestAgentClient(cc)
}

func execCollect(t *testing.T, c agentpb.GuestAgentClient, spec *agentpb.ProcessSpec, stdin []byte) (string, string, int32) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := c.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Start{Start: spec}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		if stdin != nil {
			_ = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Stdin{Stdin: stdin}})
		}
		_ = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_CloseStdin{CloseStdin: true}})
	}()
	var out, errb bytes.Buffer
	code := int32(-1)
	started := false
	for {
		m, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("exec %q: %v", spec.Args, err)
		}
		switch k := m.Kind.(type) {
		case *agentpb.ExecResponse_Started:
			started = true
		case *agentpb.ExecResponse_Stdout:
			out.Write(k.Stdout)
		case *agentpb.ExecResponse_Stderr:
			errb.Write(k.Stderr)
		case *agentpb.ExecResponse_Exited:
			code = k.Exited.Status
		}
	}
	if !started {
		t.Fatal("no started message")
	}
	return out.String(), errb.String(), code
}

func TestAgentOverStreamWithReconnects(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	s := startTestAgent(t)
	env := []string{"PATH=/usr/bin:/bin"}
	for i := 0; i < 6; i++ {
		// The first client is a plain HTTP/2 client; the next ones reconnect without the guest
		// seeing a disconnect, and use the hello to skip what the guest wrote for the previous one.
		hello := i > 0
		cc, c := clientOn(t, s, hello, fmt.Sprintf("%032x", i))
		if _, err := c.Ping(context.Background(), &agentpb.PingRequest{}); err != nil {
			t.Fatalf("session %d: ping: %v", i, err)
		}
		out, errOut, code := execCollect(t, c, &agentpb.ProcessSpec{Args: []string{"sh", "-c", "echo out; echo err >&2; cat; exit 5"}, Env: env}, []byte("in\n"))
		if out != "out\nin\n" || errOut != "err\n" || code != 5 {
			t.Fatalf("session %d: %q %q %d", i, out, errOut, code)
		}
		if i == 2 {
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
			out, _, code := execCollect(t, c, &agentpb.ProcessSpec{Args: []string{"cat"}, Env: env}, big)
			if out != string(big) || code != 0 {
				t.Fatalf("1 MiB through cat: %d bytes, status %d", len(out), code)
			}
		}
		cc.Close()
	}
}

func TestExecErrors(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	s := startTestAgent(t)
	cc, c := clientOn(t, s, true, strings.Repeat("0", 32))
	defer cc.Close()
	for _, tc := range []struct {
		spec *agentpb.ProcessSpec
		want string
	}{
		{&agentpb.ProcessSpec{Args: []string{"no-such-binary-here"}}, "NotFound"},
		{&agentpb.ProcessSpec{Args: []string{"sh"}, Cwd: "/no/such/dir"}, "working directory /no/such/dir: no such file or directory"},
		{&agentpb.ProcessSpec{Args: []string{}}, "InvalidArgument"},
	} {
		st, err := c.Exec(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_ = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Start{Start: tc.spec}})
		_, err = st.Recv()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want %s, got %v", tc.spec.Args, tc.want, err)
		}
	}
	st, _ := c.Exec(context.Background())
	_ = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Stdin{Stdin: []byte("x")}})
	if _, err := st.Recv(); err == nil || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Errorf("first request not start: %v", err)
	}
	// A tty process, when this machine can allocate one.
	if m, sl, err := openPty(); err == nil {
		m.Close()
		sl.Close()
		out, _, code := execCollect(t, c, &agentpb.ProcessSpec{Args: []string{"sh", "-c", "test -t 0 && echo tty"}, Env: []string{"PATH=/usr/bin:/bin"}, Tty: true, Window: &agentpb.WindowSize{Rows: 30, Cols: 90}}, nil)
		if !strings.Contains(out, "tty") || code != 0 {
			t.Errorf("tty: %q %d", out, code)
		}
	}
}
