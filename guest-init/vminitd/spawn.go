package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

// Request limits.
const (
	maxSpecBytes = 1 << 20 // argv + env + cwd together
	maxArgs      = 65536
)

// validateSpec checks a ProcessSpec before anything is started; failures are InvalidArgument.
func validateSpec(spec *agentpb.ProcessSpec) error {
	if spec == nil {
		return status.Error(codes.InvalidArgument, "start: missing process spec")
	}
	if len(spec.Args) == 0 || spec.Args[0] == "" {
		return status.Error(codes.InvalidArgument, "start: args must not be empty")
	}
	if len(spec.Args)+len(spec.Env) > maxArgs {
		return status.Errorf(codes.InvalidArgument, "start: more than %d args and env entries", maxArgs)
	}
	total := len(spec.Cwd)
	for i, a := range spec.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return status.Errorf(codes.InvalidArgument, "start: args[%d] contains a NUL byte", i)
		}
		total += len(a) + 1
	}
	for i, e := range spec.Env {
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return status.Errorf(codes.InvalidArgument, "start: env[%d] %q is not KEY=VALUE", i, truncate(e, 64))
		}
		if strings.IndexByte(e, 0) >= 0 {
			return status.Errorf(codes.InvalidArgument, "start: env[%d] contains a NUL byte", i)
		}
		total += len(e) + 1
	}
	if total >= maxSpecBytes {
		return status.Errorf(codes.InvalidArgument, "start: args, env and cwd take %d bytes (limit %d)", total, maxSpecBytes)
	}
	if spec.Cwd != "" && !strings.HasPrefix(spec.Cwd, "/") {
		return status.Errorf(codes.InvalidArgument, "start: working directory %q is not absolute", spec.Cwd)
	}
	if len(spec.User) > 256 || strings.IndexByte(spec.User, 0) >= 0 || strings.ContainsAny(spec.User, "\n") {
		return status.Error(codes.InvalidArgument, "start: user must be NAME, NAME:GROUP, UID or UID:GID")
	}
	if strings.IndexByte(spec.Cwd, 0) >= 0 {
		return status.Error(codes.InvalidArgument, "start: working directory contains a NUL byte")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// spawner starts processes inside root: forked from the environment's mount namespace when ns is
// set, else chrooted into root (unless root is "/").
type spawner struct {
	root   string
	ns     *envNamespace
	reaper *reaper
	// setCred: apply uid/gid/groups from the spec (always when running as root).
	setCred bool
}

// process is a started child with the parent's ends of its stdio.
type process struct {
	pid    int
	status <-chan unix.WaitStatus
	tty    bool
	stdin  *os.File // pipe write end; for a tty, the master
	stdout *os.File // pipe read end; for a tty, the master
	stderr *os.File // pipe read end; nil for a tty
}

func (p *process) closeAll() {
	for _, f := range []*os.File{p.stdin, p.stdout, p.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

func (s *spawner) spawn(spec *agentpb.ProcessSpec) (*process, error) {
	root := s.root
	if root == "" {
		root = "/"
	}
	uid, gid, groups := spec.Uid, spec.Gid, spec.SupplementaryGids
	env := spec.Env
	cwd := spec.Cwd
	if spec.User != "" {
		u, err := resolveUser(root, spec.User)
		if err != nil {
			return nil, err
		}
		uid, gid, groups = u.uid, u.gid, u.groups
		env = loginEnv(env, u)
		if cwd == "" {
			if host, err := resolveIn(root, u.home); err == nil {
				if fi, err := os.Stat(host); err == nil && fi.IsDir() {
					cwd = u.home
				}
			}
		}
	}
	if cwd == "" {
		cwd = "/"
	}
	cwd = path.Clean(cwd)
	hostCwd, err := resolveIn(root, cwd)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(hostCwd); err == nil && !fi.IsDir() {
			err = unix.ENOTDIR
		}
	}
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "working directory %s: %s", cwd, errnoText(err))
	}
	pathEnv, _ := envLookup(env, "PATH")
	argv0 := spec.Args[0]
	execPath, err := lookPathIn(root, cwd, argv0, pathEnv)
	switch {
	case errors.Is(err, errExecNotFound):
		return nil, status.Errorf(codes.NotFound, "executable not found: %s", argv0)
	case errors.Is(err, errExecPermission):
		return nil, status.Errorf(codes.PermissionDenied, "executable %s: permission denied", argv0)
	case err != nil:
		return nil, status.Errorf(codes.Internal, "look up %s: %v", argv0, err)
	}

	p := &process{tty: spec.Tty}
	var childFiles []*os.File
	sys := &syscall.SysProcAttr{Setsid: true}
	if root != "/" && s.ns == nil {
		sys.Chroot = root
	}
	if s.setCred {
		sys.Credential = &syscall.Credential{Uid: uid, Gid: gid, Groups: append([]uint32{}, groups...)}
	}
	if spec.Tty {
		master, slave, err := openPty()
		if err != nil {
			return nil, status.Errorf(codes.Internal, "allocate a terminal: %v", err)
		}
		rows, cols := uint32(24), uint32(80)
		if w := spec.Window; w != nil && w.Rows > 0 && w.Cols > 0 {
			rows, cols = w.Rows, w.Cols
		}
		if err := setWindowSize(master, rows, cols); err != nil {
			debugf("exec: set window size: %v", err)
		}
		if s.setCred {
			_ = slave.Chown(int(uid), -1)
		}
		p.stdin, p.stdout = master, master
		childFiles = []*os.File{slave, slave, slave}
		sys.Setctty = true
		sys.Ctty = 0
	} else {
		var pipes [3][2]*os.File
		for i := range pipes {
			r, w, err := os.Pipe()
			if err != nil {
				for j := 0; j < i; j++ {
					pipes[j][0].Close()
					pipes[j][1].Close()
				}
				return nil, status.Errorf(codes.Internal, "pipe: %v", err)
			}
			pipes[i] = [2]*os.File{r, w}
		}
		p.stdin, p.stdout, p.stderr = pipes[0][1], pipes[1][0], pipes[2][0]
		childFiles = []*os.File{pipes[0][0], pipes[1][1], pipes[2][1]}
	}
	closeChildFiles := func() {
		seen := map[*os.File]bool{}
		for _, f := range childFiles {
			if !seen[f] {
				seen[f] = true
				f.Close()
			}
		}
	}
	fds := make([]uintptr, len(childFiles))
	for i, f := range childFiles {
		fds[i] = f.Fd()
	}
	if env == nil {
		env = []string{}
	}
	attr := &syscall.ProcAttr{Dir: cwd, Env: env, Files: fds, Sys: sys}
	pid, ch, err := s.reaper.start(func() (pid int, err error) {
		start := func() { pid, _, err = syscall.StartProcess(execPath, spec.Args, attr) }
		if s.ns != nil {
			s.ns.run(start)
		} else {
			start()
		}
		return pid, err
	})
	closeChildFiles()
	if err != nil {
		p.closeAll()
		return nil, startError(argv0, cwd, err)
	}
	p.pid, p.status = pid, ch
	return p, nil
}

func startError(argv0, cwd string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return status.Errorf(codes.Internal, "start %s: %v", argv0, err)
	}
	switch errno {
	case syscall.ENOENT:
		return status.Errorf(codes.NotFound, "start %s: no such file or directory (missing interpreter or working directory %s?)", argv0, cwd)
	case syscall.EACCES, syscall.EPERM:
		return status.Errorf(codes.PermissionDenied, "start %s: permission denied", argv0)
	case syscall.ENOEXEC:
		return status.Errorf(codes.FailedPrecondition, "start %s: exec format error", argv0)
	case syscall.ENOTDIR:
		return status.Errorf(codes.FailedPrecondition, "start %s: not a directory", argv0)
	default:
		return status.Errorf(codes.Internal, "start %s: %v", argv0, errno)
	}
}

// errnoText renders the errno of err as libc's strerror does, e.g. "no such file or directory".
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	if errors.Is(err, fs.ErrPermission) {
		return "permission denied"
	}
	return fmt.Sprint(err)
}
