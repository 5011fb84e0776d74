package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"vminitd/agentpb"
)

// The distribution's init (systemd) runs, when asked, as PID 1 of a new PID namespace with its own
// mount namespace, a copy of the environment's (as WSL does). It is started through a small stage
// of vminitd itself (initStageFlag): the new namespace's first process mounts a /proc that shows
// its PID namespace, then execs the init. Afterwards the environment namespace's thread joins both
// namespaces (setns), so every process forked from it (Exec, the boot command) is a child of
// vminitd that lives inside the init's PID and mount namespaces.
const (
	initStageFlag      = "--exec-init"
	initPath           = "/sbin/init"
	initSettleTimeout  = 5 * time.Minute // TCG under load boots systemd slowly
	initPoll           = time.Second
	initStopTimeout    = 90 * time.Second
	systemdPoweroffSig = unix.Signal(34 + 4) // glibc's SIGRTMIN+4: systemd powers off
)

// initSystem is the running distribution init.
type initSystem struct {
	pid  int
	done chan struct{} // closed when the init exited
	mu   sync.Mutex
	st   string
	ws   unix.WaitStatus
}

func (i *initSystem) setState(s string) {
	i.mu.Lock()
	i.st = s
	i.mu.Unlock()
}

// state reports the init's state for DescribeEnvironment (see agent.proto).
func (i *initSystem) state() string {
	if i == nil {
		return ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.st
}

func (i *initSystem) exited() bool {
	select {
	case <-i.done:
		return true
	default:
		return false
	}
}

// execInitStage runs in the child that is PID 1 of the new namespaces: a /proc of its own PID
// namespace, then the init. It never returns.
func execInitStage(argv []string) {
	if err := unix.Mount("proc", "/proc", "proc", nodevExec, ""); err != nil {
		fmt.Fprintf(os.Stderr, "vminitd: init stage: mount /proc: %v\n", err)
	}
	unix.CloseOnExec(3) // vminitd's own executable, how this stage was started
	err := unix.Exec(argv[0], argv, os.Environ())
	fmt.Fprintf(os.Stderr, "vminitd: init stage: exec %s: %v\n", argv[0], err)
	os.Exit(127)
}

// startInit starts the environment's init in new PID and mount namespaces and moves the spawner's
// namespace thread into them. It needs the environment's namespace thread.
func startInit(sp *spawner) (*initSystem, error) {
	if sp.ns == nil {
		return nil, errors.New("the environment has no mount namespace")
	}
	host, err := resolveIn(sp.root, initPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", initPath, err)
	}
	if err := unix.Access(host, unix.X_OK); err != nil {
		return nil, fmt.Errorf("%s: %w", initPath, err)
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open vminitd itself: %w", err)
	}
	defer exe.Close()
	console, err := os.OpenFile("/dev/console", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open the console: %w", err)
	}
	defer console.Close()
	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{"PATH=" + defaultPath, "TERM=linux"},
		Files: []uintptr{console.Fd(), console.Fd(), console.Fd(), exe.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS},
	}
	pid, status, err := sp.reaper.start(func() (pid int, err error) {
		// /proc/self/fd/3 is vminitd, passed as fd 3: the initramfs is not reachable from inside.
		sp.ns.run(func() {
			pid, _, err = syscall.StartProcess("/proc/self/fd/3", []string{"vminitd", initStageFlag, initPath}, attr)
		})
		return pid, err
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", initPath, err)
	}
	in := &initSystem{pid: pid, done: make(chan struct{}), st: "starting"}
	goSafe("init wait", func() {
		ws := <-status
		in.mu.Lock()
		in.ws = ws
		in.st = fmt.Sprintf("failed: %s exited with status %d", initPath, exitStatus(ws))
		in.mu.Unlock()
		close(in.done)
		logf("%s (pid %d) exited with status %d", initPath, pid, exitStatus(ws))
	})
	if err := joinNamespaces(sp.ns, pid); err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return nil, err
	}
	return in, nil
}

// joinNamespaces moves the namespace thread into the mount and PID namespaces of pid: its later
// children are born there (setns(CLONE_NEWPID) sets the namespace of the caller's children).
func joinNamespaces(ns *envNamespace, pid int) error {
	var fds [2]*os.File
	for i, name := range []string{"mnt", "pid"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, name))
		if err != nil {
			return fmt.Errorf("join the init's namespaces: %w", err)
		}
		defer f.Close()
		fds[i] = f
	}
	var err error
	ns.run(func() {
		if e := unix.Setns(int(fds[0].Fd()), unix.CLONE_NEWNS); e != nil {
			err = fmt.Errorf("setns mount namespace: %w", e)
			return
		}
		if e := unix.Setns(int(fds[1].Fd()), unix.CLONE_NEWPID); e != nil {
			err = fmt.Errorf("setns PID namespace: %w", e)
			return
		}
		err = unix.Chdir("/")
	})
	return err
}

// awaitRunning polls `systemctl is-system-running` until it says running or degraded, the init
// exits, or the timeout passes; the state is kept for DescribeEnvironment.
func (i *initSystem) awaitRunning(sp *spawner, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	last := "starting"
	for {
		if i.exited() {
			return
		}
		out, _, err := runCapture(sp, []string{"systemctl", "is-system-running"})
		if err == nil {
			st := strings.TrimSpace(out)
			if st == "" {
				st = "starting"
			}
			if st != last {
				debugf("systemd: %s", st)
			}
			last = st
			if i.exited() {
				return
			}
			switch st {
			case "running", "degraded":
				i.setState(st)
				logf("systemd is %s (%.1f s after kernel start)", st, float64(bootNanos())/1e9)
				return
			case "offline", "unknown", "initializing":
				st = "starting"
			}
			i.setState(st)
		} else {
			debugf("systemd: systemctl: %v", err)
		}
		if time.Now().After(deadline) {
			i.setState("timeout: " + last)
			logf("systemd did not settle within %v (last state %q)", timeout, last)
			return
		}
		select {
		case <-i.done:
			return
		case <-time.After(initPoll):
		}
	}
}

// stop asks systemd to power off (SIGRTMIN+4: it stops every unit) and waits for it to exit;
// SIGKILL after the timeout. In a PID namespace the init's final reboot(2) ends the namespace, not
// the VM.
func (i *initSystem) stop(timeout time.Duration) {
	if i == nil || i.exited() {
		return
	}
	logf("stopping %s (pid %d)", initPath, i.pid)
	_ = unix.Kill(i.pid, systemdPoweroffSig)
	select {
	case <-i.done:
		return
	case <-time.After(timeout):
	}
	logf("%s did not stop within %v; killing it", initPath, timeout)
	_ = unix.Kill(i.pid, unix.SIGKILL)
	select {
	case <-i.done:
	case <-time.After(5 * time.Second):
	}
}

// runCapture runs a short command in the environment and returns its standard output.
func runCapture(sp *spawner, argv []string) (string, int32, error) {
	p, err := sp.spawn(&agentpb.ProcessSpec{Args: argv, Env: []string{"PATH=" + defaultPath}})
	if err != nil {
		return "", -1, err
	}
	p.stdin.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	goSafe("capture", func() {
		defer close(done)
		_, _ = io.Copy(&out, io.LimitReader(p.stdout, 64<<10))
		_, _ = io.Copy(io.Discard, p.stdout)
	})
	goSafe("capture stderr", func() { _, _ = io.Copy(io.Discard, p.stderr) })
	ws := <-p.status
	_ = p.stdout.SetReadDeadline(time.Now().Add(drainIdle))
	_ = p.stderr.SetReadDeadline(time.Now().Add(drainIdle))
	<-done
	p.closeAll()
	return out.String(), exitStatus(ws), nil
}
