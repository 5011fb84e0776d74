// vminitd is PID 1 of every environment's VM: it boots the guest from a tiny initramfs (itself plus
// kernel modules), mounts the environment disk, and serves the GuestAgent gRPC API to the host
// over a virtio-serial port. It never exits.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"vminitd/agentpb"

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

	// Before anything is mounted: off rootfs, so the environment's namespace can pivot_root.
	rootErr := leaveRootfs()
	debug.SetMemoryLimit(agentMemoryLimit)

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
	if rootErr != nil {
		logf("%v; processes will run chrooted", rootErr)
	}

	n := loadModules(modulesDir)
	debugf("loaded %d modules", n)
	setHostname(cfg.hostname)

	env := &envState{}
	s := &agentServer{
		spawner: &spawner{root: envRoot, reaper: r, setCred: true},
		env:     env,
	}
	s.bootStatus.Store(-1)
	if err := mountEnvironment(cfg.root); err != nil {
		logf("%v; the environment is not available", err)
		env.set(false, err.Error())
	} else {
		s.files = prepareEnvironment(envRoot, cfg.hostname)
		if s.files.hostname != cfg.hostname {
			setHostname(s.files.hostname)
		}
		if rootErr == nil {
			if ns, err := newEnvNamespace(envRoot); err != nil {
				logf("environment namespace: %v; processes will run chrooted", err)
			} else {
				s.spawner.ns = ns
			}
		}
		env.set(true, "")
		debugf("environment mounted at %s (generated: %v)", envRoot, s.files.generated)
		if cmd := s.files.conf.bootCommand; cmd != "" {
			goSafe("boot command", func() { s.bootStatus.Store(runBootCommand(s.spawner, cmd)) })
		}
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

// runBootCommand runs wsl.conf's [boot] command once, as root, with /bin/sh -c; its output goes
// to the console log. It returns the exit status (-1 when it could not start).
func runBootCommand(sp *spawner, cmd string) int32 {
	p, err := sp.spawn(&agentpb.ProcessSpec{Args: []string{"/bin/sh", "-c", cmd}, Env: []string{"PATH=" + defaultPath}})
	if err != nil {
		logf("boot command: %v", err)
		return -1
	}
	p.stdin.Close()
	done := make(chan struct{}, 2)
	for _, f := range []*os.File{p.stdout, p.stderr} {
		f := f
		goSafe("boot command output", func() {
			defer func() { done <- struct{}{} }()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				logf("boot command: %s", sc.Text())
			}
		})
	}
	ws := <-p.status
	_ = p.stdout.SetReadDeadline(time.Now().Add(drainIdle))
	_ = p.stderr.SetReadDeadline(time.Now().Add(drainIdle))
	<-done
	<-done
	p.closeAll()
	logf("boot command exited with status %d", exitStatus(ws))
	return exitStatus(ws)
}
