package main

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// reaper is the single place that waits for children. PID 1 inherits every orphan, so it reaps
// with wait4(-1) on each SIGCHLD and hands the status of a registered pid to its channel; statuses
// of unknown pids are simply collected. Starting a process and registering its pid happen under
// the same mutex as reaping, so even a child that exits at once never loses its status.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan unix.WaitStatus
	wake    chan struct{}
}

func newReaper() *reaper {
	return &reaper{waiters: make(map[int]chan unix.WaitStatus), wake: make(chan struct{}, 1)}
}

// notify asks the reaper loop to reap (call on SIGCHLD); it never blocks.
func (r *reaper) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run reaps on every notification and, as a safety net, once a second.
func (r *reaper) run() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.wake:
		case <-tick.C:
		}
		r.reap()
	}
}

// start runs fn (which starts a child and returns its pid) under the reaper lock and registers the
// pid before any status can be collected.
func (r *reaper) start(fn func() (int, error)) (int, <-chan unix.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fn()
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan unix.WaitStatus, 1)
	r.waiters[pid] = ch
	return pid, ch, nil
}

// reap collects every exited child without blocking.
func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- ws
		} else {
			debugf("reaped orphan %d (status %d)", pid, exitStatus(ws))
		}
	}
}

// hasChildren reports whether any child (registered or orphan) is still alive or unreaped.
func (r *reaper) hasChildren() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		return err != unix.ECHILD
	}
}

// exitStatus maps a wait status to the shell convention: the exit code, or 128 + signal.
func exitStatus(ws unix.WaitStatus) int32 {
	switch {
	case ws.Exited():
		return int32(ws.ExitStatus())
	case ws.Signaled():
		return 128 + int32(ws.Signal())
	default:
		return -1
	}
}

func exitSignal(ws unix.WaitStatus) int32 {
	if ws.Signaled() {
		return int32(ws.Signal())
	}
	return 0
}
