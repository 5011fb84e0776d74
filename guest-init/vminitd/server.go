package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	readyNanos atomic.Int64
	// shutdown stops everything and powers off; it runs once, after the reply has been sent.
	shutdown     func(grace time.Duration)
	shutdownOnce sync.Once
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

func (s *agentServer) Ping(ctx context.Context, _ *agentpb.PingRequest) (*agentpb.PingResponse, error) {
	ready, _ := s.env.get()
	return &agentpb.PingResponse{
		Version:          version,
		UptimeNanos:      bootNanos(),
		ReadyNanos:       s.readyNanos.Load(),
		EnvironmentReady: ready,
		KernelRelease:    kernelRelease(),
	}, nil
}

func (s *agentServer) Shutdown(ctx context.Context, req *agentpb.ShutdownRequest) (*agentpb.ShutdownResponse, error) {
	grace := defaultGrace
	if req.GraceMillis > 0 {
		grace = time.Duration(req.GraceMillis) * time.Millisecond
		if grace > maxGrace {
			grace = maxGrace
		}
	}
	s.shutdownOnce.Do(func() {
		logf("shutdown requested (grace %v)", grace)
		goSafe("shutdown", func() {
			time.Sleep(shutdownLingers)
			if s.shutdown != nil {
				s.shutdown(grace)
			}
		})
	})
	return &agentpb.ShutdownResponse{}, nil
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
	if ready, reason := s.env.get(); !ready {
		return status.Errorf(codes.FailedPrecondition, "environment not ready: %s", reason)
	}
	p, err := s.spawner.spawn(spec)
	if err != nil {
		debugf("exec %q: %v", spec.Args[0], err)
		return err
	}
	debugf("exec %q: pid %d", spec.Args[0], p.pid)
	out := &execSender{stream: stream}
	_ = out.send(&agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Started{Started: &agentpb.Started{Pid: int32(p.pid)}}})

	var exited atomic.Bool
	var pumps sync.WaitGroup
	pump := func(f *os.File, stderr bool) {
		pumps.Add(1)
		goSafe("exec output", func() {
			defer pumps.Done()
			buf := make([]byte, chunkSize)
			for {
				n, err := f.Read(buf)
				if n > 0 {
					chunk := append([]byte(nil), buf[:n]...)
					var r *agentpb.ExecResponse
					if stderr {
						r = &agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Stderr{Stderr: chunk}}
					} else {
						r = &agentpb.ExecResponse{Kind: &agentpb.ExecResponse_Stdout{Stdout: chunk}}
					}
					_ = out.send(r) // on failure keep draining so the process never blocks
				}
				if err != nil {
					return // EOF, EIO on a pty master whose slave closed, drain deadline, closed
				}
				if exited.Load() {
					_ = f.SetReadDeadline(time.Now().Add(drainIdle))
				}
			}
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
	}

	ctx := stream.Context()
	var ws unix.WaitStatus
	select {
	case ws = <-p.status:
	case <-ctx.Done():
		// The host went away: hang up on the process group, as a closing terminal would.
		debugf("exec %d: stream cancelled, sending SIGHUP", p.pid)
		_ = unix.Kill(-p.pid, unix.SIGHUP)
		goSafe("exec cleanup", func() { finish(<-p.status) })
		return status.Error(codes.Canceled, "stream cancelled")
	}
	finish(ws)
	debugf("exec %d: exited with status %d", p.pid, exitStatus(ws))
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
