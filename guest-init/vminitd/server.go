package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
	_ "vminitd/protocodec"
)

// version is reported by Ping; the build may override it with -X main.version=...
var version = "vminitd 0.1.0"

const (
	chunkSize       = 32 << 10
	drainIdle       = 200 * time.Millisecond // after exit: stop reading output idle this long
	defaultGrace    = 3 * time.Second
	maxGrace        = 10 * time.Minute
	shutdownLingers = 100 * time.Millisecond // lets the Shutdown reply leave before power-off starts
)

// envState is the environment disk's state, fixed once boot has tried to mount it.
type envState struct {
	mu     sync.Mutex
	ready  bool
	reason string
}

func (e *envState) set(ready bool, reason string) {
	e.mu.Lock()
	e.ready, e.reason = ready, reason
	e.mu.Unlock()
}

func (e *envState) get() (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ready, e.reason
}

type agentServer struct {
	agentpb.UnimplementedGuestAgentServer
	spawner    *spawner
	env        *envState
	files      envFiles     // what boot found and generated in the environment
	bootStatus atomic.Int32 // exit status of wsl.conf's [boot] command, -1 until it ended
	sessions   sessionTable
	readyNanos atomic.Int64
	// shutdown stops everything and powers off; it runs once, after the reply has been sent.
	shutdown     func(grace time.Duration)
	shutdownOnce sync.Once
	events       eventHub
	// The environment's init when it was started (see systemd.go), and why it could not be.
	init    atomic.Pointer[initSystem]
	initErr string
}

func bootNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// Limits that keep the agent's own memory bounded.
const (
	agentMemoryLimit = 64 << 20 // soft limit of the Go heap (debug.SetMemoryLimit)
	maxSessions      = 1024     // concurrent Exec calls
	maxExecSessions  = 4096     // remembered Exec sessions, see sessionTable.sids
)

// sessionTable counts Exec processes and remembers their pids and the sessions they lead (for
// ListProcesses).
type sessionTable struct {
	mu   sync.Mutex
	pids map[int]bool
	n    int
	// Every Exec root leads a new session (spawn sets Setsid) whose id is the root's pid as vminitd's
	// /proc shows it (the initial PID namespace, also when the environment's init has its own). The
	// session outlives the root as long as anything the root started stays in it, and those processes
	// count as started by Exec (ProcessInfo.from_exec). A session is forgotten once two listing passes
	// in a row found nothing in it: pid numbers are reused, and the first pass may have raced a fork
	// (a child with a lower pid than a parent that then exits escapes /proc's ascending readdir).
	sids map[int]execSession
	seq  uint64 // count of sessions remembered so far: orders sids, tells which a pass may judge
}

type execSession struct {
	seq    uint64
	missed bool // the last pass found nothing in it
}

// reserve takes a slot for a new Exec call, false when all are taken.
func (t *sessionTable) reserve() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n >= maxSessions {
		return false
	}
	t.n++
	return true
}

func (t *sessionTable) release() {
	t.mu.Lock()
	t.n--
	t.mu.Unlock()
}

func (t *sessionTable) set(pid int, running bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pids == nil {
		t.pids = map[int]bool{}
	}
	if running {
		t.pids[pid] = true
		t.remember(pid)
	} else {
		delete(t.pids, pid)
	}
}

// remember adds the session led by a new Exec root. Without listing passes to prune them the
// sessions could pile up: beyond maxExecSessions the oldest one whose root has ended goes (there is
// always one, maxSessions being smaller).
func (t *sessionTable) remember(sid int) {
	if t.sids == nil {
		t.sids = map[int]execSession{}
	}
	if _, ok := t.sids[sid]; !ok && len(t.sids) >= maxExecSessions {
		oldest, found := 0, false
		for s, e := range t.sids {
			if !t.pids[s] && (!found || e.seq < t.sids[oldest].seq) {
				oldest, found = s, true
			}
		}
		delete(t.sids, oldest)
	}
	t.seq++
	t.sids[sid] = execSession{seq: t.seq}
}

func (t *sessionTable) has(pid int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pids[pid]
}

func (t *sessionTable) running() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pids)
}

// list reads the processes of procDir (see listProcesses), marks those in remembered Exec sessions
// and prunes the sessions this pass and the one before found empty. A zombie keeps its session: it
// still holds the session's id, and reports from_exec truthfully.
func (t *sessionTable) list(procDir string) []*agentpb.ProcessInfo {
	t.mu.Lock()
	judged := t.seq // sessions remembered later may have started after the directory was read
	t.mu.Unlock()
	procs := listProcesses(procDir, t.has)
	t.mu.Lock()
	defer t.mu.Unlock()
	occupied := make(map[int]bool, len(t.sids))
	for _, p := range procs {
		sid := int(p.Sid)
		if _, ok := t.sids[sid]; ok {
			p.FromExec = true
			occupied[sid] = true
		}
	}
	for sid, e := range t.sids {
		switch {
		case occupied[sid] || e.seq > judged:
			e.missed = false
			t.sids[sid] = e
		case !e.missed:
			e.missed = true
			t.sids[sid] = e
		default:
			delete(t.sids, sid)
		}
	}
	return procs
}

func (s *agentServer) Ping(ctx context.Context, _ *agentpb.PingRequest) (*agentpb.PingResponse, error) {
	ready, _ := s.env.get()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &agentpb.PingResponse{
		Version:               version,
		UptimeNanos:           bootNanos(),
		ReadyNanos:            s.readyNanos.Load(),
		EnvironmentReady:      ready,
		KernelRelease:         kernelRelease(),
		AgentHeapInuseBytes:   ms.HeapInuse,
		AgentSysBytes:         ms.Sys,
		AgentGoroutines:       int32(runtime.NumGoroutine()),
		AgentMemoryLimitBytes: uint64(debug.SetMemoryLimit(-1)),
		AgentProcesses:        int32(s.sessions.running()),
	}, nil
}

func (s *agentServer) requireEnvironment() error {
	if ready, reason := s.env.get(); !ready {
		return status.Errorf(codes.FailedPrecondition, "environment not ready: %s", reason)
	}
	return nil
}

func (s *agentServer) ListProcesses(ctx context.Context, _ *agentpb.ListProcessesRequest) (*agentpb.ListProcessesResponse, error) {
	return &agentpb.ListProcessesResponse{Processes: s.sessions.list("/proc")}, nil
}

func (s *agentServer) EnsureUser(ctx context.Context, req *agentpb.EnsureUserRequest) (*agentpb.EnsureUserResponse, error) {
	if err := s.requireEnvironment(); err != nil {
		return nil, err
	}
	r, err := ensureUser(s.spawner.root, req)
	if err == nil && r.Created {
		logf("created user %s (uid %d, gid %d, home %s, shell %s, sudo %v)", req.Name, r.Uid, r.Gid, r.Home, r.Shell, r.Sudo)
	}
	return r, err
}

func (s *agentServer) DescribeEnvironment(ctx context.Context, _ *agentpb.DescribeEnvironmentRequest) (*agentpb.DescribeEnvironmentResponse, error) {
	ready, reason := s.env.get()
	c := s.files.conf
	in := s.init.Load()
	st, pid := in.state(), int32(0)
	if in != nil {
		pid = int32(in.pid)
	} else if s.initErr != "" {
		st = "failed: " + s.initErr
	}
	return &agentpb.DescribeEnvironmentResponse{
		SystemdState: st, SystemdPid: pid,
		Ready: ready, Reason: reason,
		DefaultUser: c.defaultUser, BootCommand: c.bootCommand, Systemd: c.systemd,
		Automount: c.automount, ConfigProblems: s.files.confProblems,
		GeneratedFiles:    s.files.generated,
		BootCommandStatus: s.bootStatus.Load(),
	}, nil
}

func (s *agentServer) Stat(ctx context.Context, req *agentpb.StatRequest) (*agentpb.StatResponse, error) {
	if err := s.requireEnvironment(); err != nil {
		return nil, err
	}
	info, err := statIn(s.spawner.root, req)
	if err != nil {
		return nil, err
	}
	return &agentpb.StatResponse{Info: info}, nil
}

func (s *agentServer) CopyIn(stream agentpb.GuestAgent_CopyInServer) error {
	if err := s.requireEnvironment(); err != nil {
		return err
	}
	n, err := copyIn(s.spawner.root, stream.Recv)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&agentpb.CopyInResponse{Bytes: n})
}

func (s *agentServer) ExportRoot(_ *agentpb.ExportRootRequest, stream agentpb.GuestAgent_ExportRootServer) error {
	if err := s.requireEnvironment(); err != nil {
		return err
	}
	w := &chunkWriter{send: func(b []byte) error {
		return stream.Send(&agentpb.ExportRootResponse{Data: b})
	}, buf: make([]byte, 0, chunkSize)}
	if err := exportTar(s.spawner.root, w); err != nil {
		if status.Code(err) != codes.Unknown {
			return err
		}
		return status.Errorf(codes.Internal, "export: %v", err)
	}
	return w.flush()
}

// chunkWriter turns writes into messages of up to chunkSize bytes.
type chunkWriter struct {
	send func([]byte) error
	buf  []byte
}

func (c *chunkWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		k := copy(c.buf[len(c.buf):cap(c.buf)], b)
		c.buf = c.buf[:len(c.buf)+k]
		b = b[k:]
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := c.send(append([]byte(nil), c.buf...))
	c.buf = c.buf[:0]
	return err
}

func (s *agentServer) CopyOut(req *agentpb.CopyOutRequest, stream agentpb.GuestAgent_CopyOutServer) error {
	if err := s.requireEnvironment(); err != nil {
		return err
	}
	return copyOut(s.spawner.root, req, stream.Send)
}

func (s *agentServer) Shutdown(ctx context.Context, req *agentpb.ShutdownRequest) (*agentpb.ShutdownResponse, error) {
	grace := defaultGrace
	if req.GraceMillis > 0 {
		grace = time.Duration(req.GraceMillis) * time.Millisecond
		if grace > maxGrace {
			grace = maxGrace
		}
	}
	logf("shutdown requested (grace %v)", grace)
	s.startShutdown(grace)
	return &agentpb.ShutdownResponse{}, nil
}

// startShutdown powers the VM off once (in the background, after a moment for a reply to leave).
func (s *agentServer) startShutdown(grace time.Duration) {
	s.shutdownOnce.Do(func() {
		goSafe("shutdown", func() {
			time.Sleep(shutdownLingers)
			if s.shutdown != nil {
				s.shutdown(grace)
			}
		})
	})
}

// execSender serializes Send on one stream (grpc-go streams are not safe for concurrent Send).
type execSender struct {
	mu     sync.Mutex
	stream agentpb.GuestAgent_ExecServer
	err    error
}

func (s *execSender) send(r *agentpb.ExecResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.err = s.stream.Send(r)
	return s.err
}

type stdinOp struct {
	data  []byte
	close bool
}

func (s *agentServer) Exec(stream agentpb.GuestAgent_ExecServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	spec := first.GetStart()
	if spec == nil {
		return status.Error(codes.InvalidArgument, "the first Exec request must be start")
	}
	if err := validateSpec(spec); err != nil {
		return err
	}
	if err := s.requireEnvironment(); err != nil {
		return err
	}
	if !s.sessions.reserve() {
		return status.Errorf(codes.ResourceExhausted, "too many processes started through the agent (limit %d)", maxSessions)
	}
	p, err := s.spawner.spawn(spec)
	if err != nil {
		s.sessions.release()
		debugf("exec %q: %v", spec.Args[0], err)
		return err
	}
	s.sessions.set(p.pid, true)
	debugf("exec %q: pid %d", spec.Args[0], p.pid)
	out := &execSender{stream: stream}
	_ = out.send(&agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Started{Started: &agentpb.Started{Pid: int32(p.pid)}}})

	var exited atomic.Bool
	var pumps sync.WaitGroup
	pump := func(f *os.File, stderr bool) {
		pumps.Add(1)
		goSafe("exec output", func() {
			defer pumps.Done()
			pumpOutput(f, &exited, func(chunk []byte) {
				var r *agentpb.ExecResponse
				if stderr {
					r = &agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Stderr{Stderr: chunk}}
				} else {
					r = &agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Stdout{Stdout: chunk}}
				}
				_ = out.send(r) // on failure keep draining so the process never blocks
			})
		})
	}
	pump(p.stdout, false)
	if p.stderr != nil {
		pump(p.stderr, true)
	}

	done := make(chan struct{})
	stdinCh := make(chan stdinOp, 16)
	goSafe("exec stdin", func() {
		closed := false
		var eof byte
		if p.tty {
			eof = eofChar(p.stdin)
		}
		for {
			select {
			case <-done:
				return
			case op := <-stdinCh:
				if closed {
					continue
				}
				if op.close {
					if p.tty {
						_, _ = p.stdin.Write([]byte{eof})
					} else {
						_ = p.stdin.Close()
						closed = true
					}
					continue
				}
				if _, err := p.stdin.Write(op.data); err != nil {
					debugf("exec %d: stdin: %v", p.pid, err)
				}
			}
		}
	})
	goSafe("exec requests", func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				return // io.EOF: the host sent everything; otherwise the stream is gone
			}
			switch k := req.Kind.(type) {
			case *agentpb.ExecRequest_Stdin:
				select {
				case stdinCh <- stdinOp{data: k.Stdin}:
				case <-done:
					return
				}
			case *agentpb.ExecRequest_CloseStdin:
				if k.CloseStdin {
					select {
					case stdinCh <- stdinOp{close: true}:
					case <-done:
						return
					}
				}
			case *agentpb.ExecRequest_Resize:
				if p.tty && k.Resize != nil {
					if err := setWindowSize(p.stdout, k.Resize.Rows, k.Resize.Cols); err != nil {
						debugf("exec %d: resize: %v", p.pid, err)
					}
				}
			case *agentpb.ExecRequest_Signal:
				sig := unix.Signal(k.Signal)
				if k.Signal <= 0 || k.Signal > 64 {
					debugf("exec %d: ignoring signal %d", p.pid, k.Signal)
					continue
				}
				if err := unix.Kill(-p.pid, sig); err != nil && err != unix.ESRCH {
					debugf("exec %d: signal %d: %v", p.pid, k.Signal, err)
				}
			case *agentpb.ExecRequest_SignalProcess:
				if k.SignalProcess <= 0 || k.SignalProcess > 64 {
					debugf("exec %d: ignoring signal %d", p.pid, k.SignalProcess)
					continue
				}
				if err := unix.Kill(p.pid, unix.Signal(k.SignalProcess)); err != nil && err != unix.ESRCH {
					debugf("exec %d: signal %d: %v", p.pid, k.SignalProcess, err)
				}
			case *agentpb.ExecRequest_Start:
				debugf("exec %d: ignoring a second start", p.pid)
			}
		}
	})

	finish := func(ws unix.WaitStatus) {
		exited.Store(true)
		_ = p.stdout.SetReadDeadline(time.Now().Add(drainIdle))
		if p.stderr != nil {
			_ = p.stderr.SetReadDeadline(time.Now().Add(drainIdle))
		}
		pumps.Wait()
		close(done)
		p.closeAll()
		s.sessions.set(p.pid, false)
		s.sessions.release()
	}

	ctx := stream.Context()
	var ws unix.WaitStatus
	select {
	case ws = <-p.status:
	case <-ctx.Done():
		// The host went away: hang up on the process group, as a closing terminal would.
		debugf("exec %d: stream cancelled, sending SIGHUP", p.pid)
		_ = unix.Kill(-p.pid, unix.SIGHUP)
		goSafe("exec cleanup", func() {
			ws := <-p.status
			finish(ws)
			s.publishExit(p.pid, ws, spec.Args)
		})
		return status.Error(codes.Canceled, "stream cancelled")
	}
	finish(ws)
	debugf("exec %d: exited with status %d", p.pid, exitStatus(ws))
	s.publishExit(p.pid, ws, spec.Args)
	if err := out.send(&agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Exited{Exited: &agentpb.Exited{
		Status: exitStatus(ws), Signal: exitSignal(ws)}}}); err != nil {
		return err
	}
	return nil
}

// Interceptors: a panic in a handler becomes an Internal error instead of killing PID 1.
func recoverUnary(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			logf("panic in %s (recovered): %v\n%s", info.FullMethod, r, firstLines(debug.Stack(), 12))
			resp, err = nil, status.Errorf(codes.Internal, "internal error: %v", r)
		}
	}()
	return handler(ctx, req)
}

func recoverStream(srv interface{}, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			logf("panic in %s (recovered): %v\n%s", info.FullMethod, r, firstLines(debug.Stack(), 12))
			err = status.Errorf(codes.Internal, "internal error: %v", r)
		}
	}()
	return handler(srv, ss)
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func newGRPCServer(s *agentServer) *grpc.Server {
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(recoverUnary),
		grpc.StreamInterceptor(recoverStream),
		grpc.MaxRecvMsgSize(8<<20),
	)
	agentpb.RegisterGuestAgentServer(srv, s)
	return srv
}

// serveForever serves on listeners made by newListener; it never returns.
func serveForever(srv *grpc.Server, newListener func() *vportListener, onServing func()) {
	for attempt := 0; ; attempt++ {
		lis := newListener()
		if attempt == 0 && onServing != nil {
			onServing()
		}
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return srv.Serve(lis)
		}()
		if errors.Is(err, io.EOF) {
			err = nil
		}
		logf("serve stopped (%v); serving again", err)
		lis.Close()
		time.Sleep(time.Second)
	}
}

func (s *agentServer) publishExit(pid int, ws unix.WaitStatus, args []string) {
	s.events.publish(&agentpb.EventsResponse{Kind: &agentpb.EventsResponse_ProcessExit{ProcessExit: &agentpb.ProcessExit{
		Pid: int32(pid), Status: exitStatus(ws), Signal: exitSignal(ws), Args: args}}})
}

// pumpOutput sends what f yields, chunk by chunk, until EOF (or EIO on a pty master whose slave
// closed). Once exited is set, a read deadline ends the pump after drainIdle without output, so a
// background child that inherited the pipe cannot keep the Exec open. A deadline error alone is
// not proof of idleness: Go fails a read at once when its deadline has already passed, without
// looking at the pipe, and on a busy guest the deadline set at exit can pass before this goroutine
// runs. So the pump stops only when the pipe is also empty (FIONREAD); otherwise output written
// just before the exit would be lost.
func pumpOutput(f *os.File, exited *atomic.Bool, send func([]byte)) {
	buf := make([]byte, chunkSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			send(append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && pending(f) > 0 {
				_ = f.SetReadDeadline(time.Now().Add(drainIdle))
				continue
			}
			return
		}
		if exited.Load() {
			_ = f.SetReadDeadline(time.Now().Add(drainIdle))
		}
	}
}

// pending is the number of bytes waiting to be read from a pipe or pty (0 if unknown).
func pending(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD
	})
	return n
}
