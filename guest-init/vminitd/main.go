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
	"sync/atomic"
	"time"

	"vminitd/agentpb"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(version)
		return
	}
	if len(os.Args) > 2 && os.Args[1] == initStageFlag {
		execInitStage(os.Args[2:]) // PID 1 of the environment's PID namespace, see systemd.go
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
	var server atomic.Pointer[agentServer] // set once the server exists; signals may come earlier
	handleSignals(r, func(sig os.Signal) {
		if s := server.Load(); s != nil {
			logf("%v: shutting down", sig)
			s.startShutdown(defaultGrace)
		}
	})
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
	// Alongside the disk's mount, joined before any process of the environment starts (systemd,
	// the boot command, Exec): under TCG it takes over 100 ms. configureNetwork recovers its own
	// panics, so the channel always gets its answer.
	netDone := make(chan string, 1)
	go func() { netDone <- configureNetwork(cfg.network) }()

	// Ctrl-Alt-Del then sends SIGINT to PID 1 (a clean shutdown) instead of an immediate reboot.
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF); err != nil {
		debugf("ctrl-alt-del: %v", err)
	}
	env := &envState{}
	s := &agentServer{
		spawner: &spawner{root: envRoot, reaper: r, setCred: true},
		env:     env,
		files:   envFiles{conf: defaultWSLConf()}, // until the disk is mounted, or when it cannot be
	}
	s.bootStatus.Store(-1)
	server.Store(s)
	mountErr := mountEnvironment(cfg.root)
	netProblem := <-netDone
	if err := mountErr; err != nil {
		logf("%v; the environment is not available", err)
		env.set(false, err.Error())
	} else {
		s.files = prepareEnvironment(envRoot, cfg.hostname, cfg.network == netUser)
		if s.files.hostname != cfg.hostname {
			setHostname(s.files.hostname)
		}
		// Before the namespace and any process: everything sees the shares from the start.
		for _, p := range cfg.shareProblems {
			logf("%s", p)
		}
		s.files.confProblems = append(s.files.confProblems, cfg.shareProblems...)
		s.files.confProblems = append(s.files.confProblems, mountShares(envRoot, cfg.shares)...)
		if rootErr == nil {
			if ns, err := newEnvNamespace(envRoot); err != nil {
				logf("environment namespace: %v; processes will run chrooted", err)
			} else {
				s.spawner.ns = ns
			}
		}
		env.set(true, "")
		debugf("environment mounted at %s (generated: %v)", envRoot, s.files.generated)
		if cfg.systemd || s.files.conf.systemd {
			if in, err := startInit(s.spawner); err != nil {
				logf("systemd: %v; processes run without it", err)
				s.initErr = err.Error()
			} else {
				s.init.Store(in)
				logf("started %s as PID 1 of the environment's PID namespace (pid %d)", initPath, in.pid)
				goSafe("systemd wait", func() { in.awaitRunning(s.spawner, initSettleTimeout) })
			}
		}
		if cmd := s.files.conf.bootCommand; cmd != "" {
			goSafe("boot command", func() { s.bootStatus.Store(runBootCommand(s.spawner, cmd)) })
		}
	}
	if netProblem != "" {
		s.files.confProblems = append(s.files.confProblems, netProblem)
	}
	s.shutdown = func(grace time.Duration) {
		s.init.Load().stop(initStopTimeout)
		powerOff(r, grace)
	}
	goSafe("kernel log", func() { watchKernelLog(&s.events) })
	srv := newGRPCServer(s)
	serveForever(srv, func() *vportListener { return listenVirtioPort(cfg.agentPort) }, func() {
		s.readyNanos.Store(bootNanos())
		logf("serving on virtio port %s (%.3f s after kernel start)", cfg.agentPort, float64(bootNanos())/1e9)
	})
}

// handleSignals catches every signal PID 1 can receive: SIGCHLD wakes the reaper, SIGINT
// (Ctrl-Alt-Del) and SIGPWR (power failure or button) call powerButton, the rest are logged and
// ignored.
func handleSignals(r *reaper, powerButton func(os.Signal)) {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	goSafe("signals", func() {
		for sig := range ch {
			switch sig {
			case unix.SIGCHLD:
				r.notify()
			case unix.SIGINT, unix.SIGPWR:
				powerButton(sig)
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
