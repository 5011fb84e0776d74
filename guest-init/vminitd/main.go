// vminitd is PID 1 of every environment's VM: it boots the guest from a tiny initramfs (itself plus
// kernel modules), mounts the environment disk, and serves the GuestAgent gRPC API to the host
// over a virtio-serial port. It never exits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(version)
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "vminitd: must run as PID 1 of the guest (the init of its initramfs)")
		os.Exit(2)
	}
	// From here on nothing may end the process: the kernel panics when init exits.
	defer func() {
		if r := recover(); r != nil {
			logf("panic in main (recovered): %v", r)
			select {}
		}
	}()

	r := newReaper()
	handleSignals(r)
	goSafe("reaper", func() {
		for {
			func() {
				defer recoverLog("reaper")
				r.run()
			}()
			time.Sleep(100 * time.Millisecond)
		}
	})

	earlyMounts()
	setupConsole()
	cfg := parseCmdline(readCmdline())
	logDebug = cfg.debug
	debugf("starting %s (kernel %s)", version, kernelRelease())

	n := loadModules(modulesDir)
	debugf("loaded %d modules", n)
	setHostname(cfg.hostname)

	env := &envState{}
	if err := mountEnvironment(cfg.root); err != nil {
		logf("%v; the environment is not available", err)
		env.set(false, err.Error())
	} else {
		env.set(true, "")
		debugf("environment mounted at %s", envRoot)
	}

	s := &agentServer{
		spawner: &spawner{root: envRoot, reaper: r, setCred: true},
		env:     env,
	}
	s.shutdown = func(grace time.Duration) { powerOff(r, grace) }
	srv := newGRPCServer(s)
	serveForever(srv, func() *vportListener { return listenVirtioPort(cfg.agentPort) }, func() {
		s.readyNanos.Store(bootNanos())
		logf("serving on virtio port %s (%.3f s after kernel start)", cfg.agentPort, float64(bootNanos())/1e9)
	})
}

// handleSignals catches every signal PID 1 can receive: SIGCHLD wakes the reaper, the rest are
// logged and ignored.
func handleSignals(r *reaper) {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	goSafe("signals", func() {
		for sig := range ch {
			switch sig {
			case unix.SIGCHLD:
				r.notify()
			case unix.SIGURG, unix.SIGWINCH, unix.SIGPIPE:
			default:
				debugf("ignoring signal %v", sig)
			}
		}
	})
}
