// agentctl is a development tool that talks to vminitd through the host end of the agent channel
// (the Unix socket QEMU exposes for the virtio-serial port).
//
//	agentctl -sock PATH ping
//	agentctl -sock PATH exec [-t] [-cwd DIR] [-uid N -gid N | -user NAME] -- ARGS...
//	agentctl -sock PATH ps
//	agentctl -sock PATH useradd -name NAME -uid N -gid N
//	agentctl -sock PATH shutdown [-grace MILLIS]
//	agentctl -sock PATH selftest     (the checks of guest-init/README.md, against a busybox disk)
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
	_ "vminitd/protocodec"
)

func dial(sock string) (*grpc.ClientConn, agentpb.GuestAgentClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc, err := grpc.DialContext(ctx, "agent", grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return dialHello(ctx, sock)
		}))
	if err != nil {
		return nil, nil, err
	}
	return cc, agentpb.NewGuestAgentClient(cc), nil
}

// dialHello connects and performs the session hello (see vport.go in vminitd): it sends a fresh
// nonce and discards everything up to the guest's matching ready line, so that output the guest
// wrote for an earlier host never reaches this connection's HTTP/2 client.
func dialHello(ctx context.Context, sock string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		c.Close()
		return nil, err
	}
	ready := []byte("VMINITD-READY " + hex.EncodeToString(nonce) + "\n")
	if _, err := c.Write([]byte("VMINITD-HELLO " + hex.EncodeToString(nonce) + "\n")); err != nil {
		c.Close()
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(dl)
	}
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		seen = append(seen, buf[:n]...)
		if i := bytes.Index(seen, ready); i >= 0 {
			_ = c.SetReadDeadline(time.Time{})
			return &prefixConn{Conn: c, prefix: append([]byte(nil), seen[i+len(ready):]...)}, nil
		}
		if len(seen) > len(ready) {
			seen = append(seen[:0], seen[len(seen)-len(ready):]...)
		}
		if err != nil {
			c.Close()
			return nil, err
		}
	}
}

type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

type result struct {
	stdout, stderr []byte
	status, signal int32
	pid            int32
}

// run executes spec, feeding stdin (then close_stdin when closeStdin), and collects everything.
func run(ctx context.Context, c agentpb.GuestAgentClient, spec *agentpb.ProcessSpec, stdin []byte, closeStdin bool, extra ...*agentpb.ExecRequest) (*result, error) {
	st, err := c.Exec(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Start{Start: spec}}); err != nil {
		return nil, err
	}
	var sendErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, r := range extra {
			if sendErr = st.Send(r); sendErr != nil {
				return
			}
		}
		for off := 0; off < len(stdin); off += 32 << 10 {
			end := off + 32<<10
			if end > len(stdin) {
				end = len(stdin)
			}
			if sendErr = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Stdin{Stdin: stdin[off:end]}}); sendErr != nil {
				return
			}
		}
		if closeStdin {
			sendErr = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_CloseStdin{CloseStdin: true}})
		}
	}()
	res := &result{status: -1}
	for {
		m, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		switch k := m.Kind.(type) {
		case *agentpb.ExecResponse_Started:
			res.pid = k.Started.Pid
		case *agentpb.ExecResponse_Stdout:
			res.stdout = append(res.stdout, k.Stdout...)
		case *agentpb.ExecResponse_Stderr:
			res.stderr = append(res.stderr, k.Stderr...)
		case *agentpb.ExecResponse_Exited:
			res.status, res.signal = k.Exited.Status, k.Exited.Signal
		}
	}
	wg.Wait()
	return res, sendErr
}

func main() {
	sock := flag.String("sock", "agent.sock", "host socket of the agent channel")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: agentctl -sock PATH ping|exec|shutdown|selftest ...")
		os.Exit(2)
	}
	cmd, args := flag.Arg(0), flag.Args()[1:]
	if cmd == "selftest" {
		os.Exit(selftest(*sock))
	}
	cc, c, err := dial(*sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentctl: connect:", err)
		os.Exit(1)
	}
	defer cc.Close()
	ctx := context.Background()
	switch cmd {
	case "ping":
		t0 := time.Now()
		r, err := c.Ping(ctx, &agentpb.PingRequest{})
		if err != nil {
			fail(err)
		}
		fmt.Printf("version=%q kernel=%q environment_ready=%v uptime=%.3fs ready=%.3fs rtt=%v\n",
			r.Version, r.KernelRelease, r.EnvironmentReady, float64(r.UptimeNanos)/1e9, float64(r.ReadyNanos)/1e9, time.Since(t0))
	case "exec":
		fs := flag.NewFlagSet("exec", flag.ExitOnError)
		tty := fs.Bool("t", false, "pty")
		cwd := fs.String("cwd", "", "working directory")
		uid := fs.Uint("uid", 0, "uid")
		gid := fs.Uint("gid", 0, "gid")
		user := fs.String("user", "", "user: NAME, NAME:GROUP, UID or UID:GID of the environment")
		_ = fs.Parse(args)
		in, _ := io.ReadAll(os.Stdin)
		spec := &agentpb.ProcessSpec{Args: fs.Args(), Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm"},
			Cwd: *cwd, Uid: uint32(*uid), Gid: uint32(*gid), Tty: *tty, Window: &agentpb.WindowSize{Rows: 40, Cols: 120},
			User: *user}
		r, err := run(ctx, c, spec, in, true)
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(r.stdout)
		os.Stderr.Write(r.stderr)
		os.Exit(int(r.status))
	case "ps":
		r, err := c.ListProcesses(ctx, &agentpb.ListProcessesRequest{})
		if err != nil {
			fail(err)
		}
		fmt.Printf("%6s %6s %6s %5s %s %s\n", "PID", "PPID", "PGID", "UID", "S", "COMMAND")
		for _, p := range r.Processes {
			mark := ""
			if p.ExecSession {
				mark = " (exec)"
			}
			fmt.Printf("%6d %6d %6d %5d %s %s%s\n", p.Pid, p.Ppid, p.Pgid, p.Uid, p.State, strings.Join(p.Args, " "), mark)
		}
	case "useradd":
		fs := flag.NewFlagSet("useradd", flag.ExitOnError)
		name := fs.String("name", "", "user name")
		uid := fs.Uint("uid", 1000, "uid")
		gid := fs.Uint("gid", 1000, "gid")
		_ = fs.Parse(args)
		r, err := c.EnsureUser(ctx, &agentpb.EnsureUserRequest{Name: *name, Uid: uint32(*uid), Gid: uint32(*gid)})
		if err != nil {
			fail(err)
		}
		fmt.Printf("created=%v uid=%d gid=%d home=%s shell=%s sudo=%v\n", r.Created, r.Uid, r.Gid, r.Home, r.Shell, r.Sudo)
	case "shutdown":
		fs := flag.NewFlagSet("shutdown", flag.ExitOnError)
		grace := fs.Int("grace", 0, "grace millis")
		_ = fs.Parse(args)
		if _, err := c.Shutdown(ctx, &agentpb.ShutdownRequest{GraceMillis: int32(*grace)}); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", cmd))
	}
}

func fail(err error) {
	if s, ok := status.FromError(err); ok {
		fmt.Fprintf(os.Stderr, "agentctl: %s: %s\n", s.Code(), s.Message())
	} else {
		fmt.Fprintln(os.Stderr, "agentctl:", err)
	}
	os.Exit(1)
}

func selftest(sock string) int {
	failures := 0
	check := func(name string, ok bool, detail string, args ...interface{}) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failures++
		}
		fmt.Printf("%s %-34s %s\n", mark, name, fmt.Sprintf(detail, args...))
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	sh := func(script string) *agentpb.ProcessSpec {
		return &agentpb.ProcessSpec{Args: []string{"sh", "-c", script}, Env: env}
	}
	ctx := context.Background()
	cc, c, err := dial(sock)
	if err != nil {
		check("connect", false, "%v", err)
		return 1
	}
	t0 := time.Now()
	p, err := c.Ping(ctx, &agentpb.PingRequest{})
	check("ping", err == nil && p.EnvironmentReady, "%v ready=%.3fs env=%v rtt=%v", err, float64(p.GetReadyNanos())/1e9, p.GetEnvironmentReady(), time.Since(t0))

	r, err := run(ctx, c, &agentpb.ProcessSpec{Args: []string{"uname", "-a"}, Env: env}, nil, false)
	check("exec uname -a", err == nil && r.status == 0 && bytes.HasPrefix(r.stdout, []byte("Linux")), "%v %q", err, bytes.TrimSpace(r.stdout))

	r, err = run(ctx, c, sh("exit 7"), nil, false)
	check("exit status 7", err == nil && r.status == 7 && r.signal == 0, "%v status=%d", err, r.status)

	r, err = run(ctx, c, sh("kill -9 $$"), nil, false)
	check("killed by signal 9", err == nil && r.status == 137 && r.signal == 9, "%v status=%d signal=%d", err, r.status, r.signal)

	r, err = run(ctx, c, sh("echo out; echo err >&2; cat"), []byte("in\n"), true)
	check("stdout/stderr/stdin", err == nil && string(r.stdout) == "out\nin\n" && string(r.stderr) == "err\n", "%v %q %q", err, r.stdout, r.stderr)

	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	t1 := time.Now()
	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"cat"}, Env: env}, big, true)
	el := time.Since(t1)
	check("1 MiB through cat", err == nil && r.status == 0 && sha256.Sum256(r.stdout) == sha256.Sum256(big),
		"%v got %d bytes in %v (%.1f MB/s each way)", err, len(r.stdout), el, float64(len(big))/el.Seconds()/1e6)

	big8 := bytes.Repeat(big, 8)
	t1 = time.Now()
	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"cat"}, Env: env}, big8, true)
	el = time.Since(t1)
	check("8 MiB through cat", err == nil && r.status == 0 && sha256.Sum256(r.stdout) == sha256.Sum256(big8),
		"%v got %d bytes in %v (%.1f MB/s each way)", err, len(r.stdout), el, float64(len(big8))/el.Seconds()/1e6)

	t1 = time.Now()
	r, err = run(ctx, c, sh("head -c 16777216 /dev/zero"), nil, false)
	el = time.Since(t1)
	check("16 MiB stdout burst", err == nil && r.status == 0 && len(r.stdout) == 16<<20,
		"%v got %d bytes in %v (%.1f MB/s)", err, len(r.stdout), el, float64(len(r.stdout))/el.Seconds()/1e6)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"stty", "size"}, Env: env, Tty: true, Window: &agentpb.WindowSize{Rows: 33, Cols: 101}}, nil, false)
	check("pty stty size", err == nil && r.status == 0 && strings.TrimSpace(string(r.stdout)) == "33 101", "%v %q", err, r.stdout)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"sh", "-c", "stty size; read x; stty size; echo got $x"}, Env: env, Tty: true, Window: &agentpb.WindowSize{Rows: 10, Cols: 20}},
		[]byte("hello\n"), false, &agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Resize{Resize: &agentpb.WindowSize{Rows: 50, Cols: 160}}})
	check("pty resize + input", err == nil && r.status == 0 && strings.Contains(string(r.stdout), "50 160") && strings.Contains(string(r.stdout), "got hello"), "%v %q", err, r.stdout)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"cat"}, Env: env, Tty: true}, []byte("abc\n"), true)
	check("pty close_stdin (^D)", err == nil && r.status == 0 && strings.Contains(string(r.stdout), "abc"), "%v %q", err, r.stdout)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"tty"}, Env: env, Tty: true}, nil, false)
	check("pty is the ctty", err == nil && strings.HasPrefix(string(r.stdout), "/dev/pts/"), "%v status=%d %q", err, r.status, r.stdout)

	_, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"no-such-binary"}, Env: env}, nil, false)
	check("missing binary -> NotFound", status.Code(err).String() == "NotFound", "%v", err)
	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"true"}, Env: env}, nil, false)
	check("next request works", err == nil && r.status == 0, "%v", err)

	_, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"true"}, Env: env, Cwd: "/nope"}, nil, false)
	check("missing cwd", err != nil && strings.Contains(err.Error(), "working directory /nope: no such file or directory"), "%v", err)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"sh", "-c", "id -u; id -g; id -G; pwd"}, Env: env, Cwd: "/home/u", Uid: 1000, Gid: 1000, SupplementaryGids: []uint32{5, 27}}, nil, false)
	check("uid/gid/groups/cwd", err == nil && string(r.stdout) == "1000\n1000\n1000 5 27\n/home/u\n", "%v %q %q", err, r.stdout, r.stderr)

	r, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{"/root/x"}, Env: env, Uid: 1000, Gid: 1000}, nil, false)
	check("permission -> PermissionDenied", status.Code(err).String() == "PermissionDenied", "%v", err)

	_, err = run(ctx, c, &agentpb.ProcessSpec{Args: []string{}, Env: env}, nil, false)
	check("empty args -> InvalidArgument", status.Code(err).String() == "InvalidArgument", "%v", err)

	r, err = run(ctx, c, sh("sleep 30; echo not reached"), nil, false, &agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Signal{Signal: 2}})
	check("signal SIGINT", err == nil && r.status == 130 && r.signal == 2, "%v status=%d", err, r.status)

	r, err = run(ctx, c, sh("sleep 100 >/dev/null 2>&1 & echo bg $!"), nil, false)
	check("background child, prompt exit", err == nil && r.status == 0, "%v %q", err, r.stdout)

	// Cancelled stream: the process gets SIGHUP.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.Exec(cctx)
	if err == nil {
		err = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Start{Start: sh("trap 'echo hup > /run/agentctl-hup; exit 1' HUP; echo ready; while true; do sleep 0.1; done")}})
		if err == nil {
			for {
				m, e := st.Recv()
				if e != nil || m.GetStdout() != nil {
					break
				}
			}
		}
		cancel()
	}
	time.Sleep(700 * time.Millisecond)
	r, err2 := run(ctx, c, sh("cat /run/agentctl-hup"), nil, false)
	check("cancel -> SIGHUP", err == nil && err2 == nil && string(r.stdout) == "hup\n", "%v %v %q", err, err2, r.stdout)

	// Many concurrent streams.
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := run(ctx, c, sh(fmt.Sprintf("echo %d; exit %d", i, i)), nil, false)
			if err != nil || r.status != int32(i) || string(r.stdout) != fmt.Sprintf("%d\n", i) {
				mu.Lock()
				bad++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	check("20 concurrent execs", bad == 0, "%d bad", bad)
	cc.Close()

	// Reconnects: drop the connection (also mid-stream) and come back.
	okCycles := 0
	var worst time.Duration
	for i := 0; i < 10; i++ {
		t := time.Now()
		cc, c, err := dial(sock)
		if err != nil {
			break
		}
		if _, err := c.Ping(ctx, &agentpb.PingRequest{}); err != nil {
			cc.Close()
			break
		}
		if d := time.Since(t); d > worst {
			worst = d
		}
		if i%2 == 1 { // leave a stream half-way
			st, err := c.Exec(ctx)
			if err == nil {
				_ = st.Send(&agentpb.ExecRequest{Kind: &agentpb.ExecRequest_Start{Start: sh("head -c 4000000 /dev/zero")}})
				_, _ = st.Recv()
				_, _ = st.Recv()
			}
		} else {
			r, err := run(ctx, c, &agentpb.ProcessSpec{Args: []string{"cat"}, Env: env}, big, true)
			if err != nil || !bytes.Equal(r.stdout, big) {
				cc.Close()
				break
			}
		}
		cc.Close()
		okCycles++
	}
	check("10 disconnect/reconnect cycles", okCycles == 10, "%d ok, slowest reconnect+ping %v", okCycles, worst)

	if failures > 0 {
		fmt.Printf("%d FAILED\n", failures)
		return 1
	}
	fmt.Println("all passed")
	return 0
}
