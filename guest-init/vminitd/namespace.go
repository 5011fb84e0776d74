package main

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// envNamespace is one OS thread that lives in the environment's mount namespace, rooted at the
// environment (pivot_root, the old root detached): processes are forked from that thread, so they
// start inside the namespace and nothing of the initramfs is reachable from them (no chroot to
// escape from, no /proc/self/root leading back out). vminitd's other threads stay in PID 1's
// namespace: Go starts new threads from a clean template thread while a goroutine is locked to a
// thread whose state it changed.
type envNamespace struct {
	calls chan func()
}

// newEnvNamespace creates the namespace rooted at root (a mount point) and its thread.
func newEnvNamespace(root string) (*envNamespace, error) {
	ns := &envNamespace{calls: make(chan func())}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: if setting up fails the thread ends with us
		if err := enterEnvNamespace(root); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for fn := range ns.calls {
			func() {
				defer recoverLog("environment namespace")
				fn()
			}()
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return ns, nil
}

// enterEnvNamespace moves the calling (locked) thread into a new mount namespace rooted at root.
func enterEnvNamespace(root string) error {
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare mount namespace: %w", err)
	}
	// Slave: mounts PID 1 adds under root later (shares) still propagate in; nothing leaks out.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("make mounts slave: %w", err)
	}
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", root, err)
	}
	// The old root is now stacked on "."; detach it and everything under it.
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	return unix.Chdir("/")
}

// run calls fn on the namespace's thread and waits for it.
func (ns *envNamespace) run(fn func()) {
	done := make(chan struct{})
	ns.calls <- func() {
		defer close(done)
		fn()
	}
	<-done
}
