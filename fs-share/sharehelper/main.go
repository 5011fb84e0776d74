// Command sharehelper starts one virtiofsd for one shared directory on behalf of the JVM, which
// cannot hand a listening socket to a child process, cannot fork safely and cannot enter a user
// namespace. It is fs-share's private tool: VirtiofsServer builds its arguments, nobody else
// should.
//
//	sharehelper -socket PATH -source DIR [-readonly] [-hide DIR]... [-uidmap "NS HOST COUNT ..." -gidmap "..."] -- VIRTIOFSD ARGS...
//
// Stage 1 (as the calling user, in the caller's namespaces): leaves the caller's session, binds and
// listens on PATH (so the socket belongs to the caller and QEMU, running as the caller, can
// connect), then starts stage 2 in a new mount namespace (and, with -uidmap, a new user
// namespace that newuidmap/newgidmap map before stage 2 goes on). It prints "ready PID" on
// stdout once stage 2 runs, forwards SIGTERM, SIGINT and SIGHUP to it, and exits with its status.
// If stage 1 dies, stage 2 gets SIGKILL (parent-death signal): the helper's life is the server's.
//
// Stage 2 (-stage2, in the new namespaces): becomes root of its user namespace (when there is
// one), makes every mount private, mounts a private tmpfs on /run (virtiofsd's pid files; not
// when the shared directory is under /run), mounts an empty read-only tmpfs over every -hide
// directory (linux's own data, config and runtime directories inside the share: the guest must
// not reach the disks of its own or other environments; a -hide path that does not exist is
// skipped), bind-mounts the shared directory onto itself
// read-only for -readonly (virtiofsd 7.2 has no read-only option; its sandbox's own bind mount of
// the directory keeps the read-only flag), and execs virtiofsd with the socket as fd 3.
// virtiofsd's sandbox bind-mounts the source recursively (MS_BIND|MS_REC), so the hiding tmpfs
// mounts come along into its pivot_root; ShareIT checks it from a guest.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

const (
	socketFd = 3 // the listening socket, in stage 2 and virtiofsd
	syncFd   = 4 // stage 2 reads one byte here once its user namespace is mapped
	execFd   = 5 // stage 2's close-on-exec report: EOF alone means virtiofsd was executed
)

// Capabilities stage 2 needs before it is root of its user namespace: execve drops every
// capability of a process that is not (yet) root there, except ambient ones.
const (
	capSetgid   = 6
	capSetuid   = 7
	capSysAdmin = 21
)

// hideList collects repeated -hide flags.
type hideList []string

func (h *hideList) String() string     { return strings.Join(*h, ",") }
func (h *hideList) Set(v string) error { *h = append(*h, v); return nil }

// stage2Report, when set, receives stage 2's failure before it exits.
var stage2Report *os.File

func main() {
	socket := flag.String("socket", "", "Unix socket to bind and listen on")
	source := flag.String("source", "", "the shared directory")
	readOnly := flag.Bool("readonly", false, "serve the directory read-only")
	uidMap := flag.String("uidmap", "", "user namespace uid map for newuidmap (empty: no user namespace)")
	gidMap := flag.String("gidmap", "", "user namespace gid map for newgidmap")
	stage2 := flag.Bool("stage2", false, "internal: the second stage")
	var hide hideList
	flag.Var(&hide, "hide", "a directory in the share to cover with an empty read-only tmpfs (repeatable)")
	flag.Parse()
	command := flag.Args()
	if *source == "" || len(command) == 0 {
		fail("usage: sharehelper -socket PATH -source DIR [-readonly] [-hide DIR]... [-uidmap MAP -gidmap MAP] -- VIRTIOFSD ARGS...")
	}
	if *stage2 {
		runStage2(*source, *readOnly, hide, *uidMap != "", command)
		return
	}
	if *socket == "" || (*uidMap == "") != (*gidMap == "") {
		fail("-socket is required, and -uidmap and -gidmap go together")
	}
	for _, h := range hide {
		if !strings.HasPrefix(h, "/") {
			fail("-hide %s: not an absolute path", h)
		}
	}
	os.Exit(runStage1(*socket, *source, *readOnly, hide, *uidMap, *gidMap, command))
}

func fail(format string, args ...interface{}) {
	msg := fmt.Sprintf("sharehelper: "+format+"\n", args...)
	if stage2Report != nil {
		_, _ = stage2Report.WriteString(msg)
	}
	os.Stderr.WriteString(msg)
	os.Exit(125)
}

func runStage1(socket, source string, readOnly bool, hide []string, uidMap, gidMap string, command []string) int {
	// The parent-death signal of stage 2 follows the thread that started it: keep this one.
	runtime.LockOSThread()
	_, _ = syscall.Setsid()
	listener, err := listen(socket)
	if err != nil {
		fail("%v", err)
	}
	syncRead, syncWrite, err := os.Pipe()
	if err != nil {
		fail("pipe: %v", err)
	}
	reportRead, reportWrite, err := os.Pipe()
	if err != nil {
		fail("pipe: %v", err)
	}
	args := []string{"-stage2", "-source", source}
	if readOnly {
		args = append(args, "-readonly")
	}
	for _, h := range hide {
		args = append(args, "-hide", h)
	}
	if uidMap != "" {
		args = append(args, "-uidmap", uidMap, "-gidmap", gidMap)
	}
	args = append(append(args, "--"), command...)
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Stdin = nil
	cmd.Stdout = os.Stderr // stdout carries only our "ready" line
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = []*os.File{listener, syncRead, reportWrite}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if uidMap != "" {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.AmbientCaps = []uintptr{capSetgid, capSetuid, capSysAdmin}
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fail("start stage 2: %v", err)
	}
	listener.Close()
	syncRead.Close()
	reportWrite.Close()
	if uidMap != "" {
		pid := fmt.Sprint(cmd.Process.Pid)
		for _, m := range []struct{ tool, spec string }{{"newuidmap", uidMap}, {"newgidmap", gidMap}} {
			out, err := exec.Command(m.tool, append([]string{pid}, strings.Fields(m.spec)...)...).CombinedOutput()
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				fail("%s %s %s: %v: %s", m.tool, pid, m.spec, err, strings.TrimSpace(string(out)))
			}
		}
	}
	if _, err := syncWrite.Write([]byte{1}); err != nil {
		fail("release stage 2: %v", err)
	}
	syncWrite.Close()
	report := make([]byte, 4096)
	n, _ := io.ReadFull(reportRead, report)
	reportRead.Close()
	if n > 0 {
		_ = cmd.Wait() // stage 2 has said why on stderr
		os.Exit(125)
	}
	fmt.Printf("ready %d\n", cmd.Process.Pid)
	os.Stdout.Close()
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	if cmd.ProcessState == nil {
		fail("wait: %v", err)
	}
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		return 128 + int(status.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// listen binds a Unix stream socket at path (replacing a stale socket file) and listens on it.
func listen(path string) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil {
		if info.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		_ = os.Remove(path)
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %v", err)
	}
	old := syscall.Umask(0o177) // the socket file: 0600, for its owner (and QEMU as the owner)
	err = syscall.Bind(fd, &syscall.SockaddrUnix{Name: path})
	syscall.Umask(old)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind %s: %v", path, err)
	}
	if err := syscall.Listen(fd, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("listen %s: %v", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

func runStage2(source string, readOnly bool, hide []string, userNamespace bool, command []string) {
	syscall.CloseOnExec(execFd)
	stage2Report = os.NewFile(execFd, "report")
	sync := os.NewFile(syncFd, "sync")
	b := make([]byte, 1)
	if n, _ := sync.Read(b); n != 1 {
		fail("stage 1 went away before the namespace was ready")
	}
	sync.Close()
	if userNamespace {
		// Root of the new user namespace, whose ids newuidmap/newgidmap have just mapped.
		if err := syscall.Setgroups([]int{}); err != nil {
			fail("setgroups: %v", err)
		}
		if err := syscall.Setresgid(0, 0, 0); err != nil {
			fail("setresgid 0: %v", err)
		}
		if err := syscall.Setresuid(0, 0, 0); err != nil {
			fail("setresuid 0: %v", err)
		}
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fail("make mounts private: %v", err)
	}
	if source != "/run" && !strings.HasPrefix(source, "/run/") {
		if err := syscall.Mount("tmpfs", "/run", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755"); err != nil {
			fail("mount tmpfs on /run: %v", err)
		}
	}
	for _, dir := range hide {
		hideDirectory(dir)
	}
	if readOnly {
		if err := syscall.Mount(source, source, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			fail("bind %s: %v", source, err)
		}
		flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY)
		var st syscall.Statfs_t
		if err := syscall.Statfs(source, &st); err == nil {
			// A remount in a user namespace must keep the flags locked on the original mount.
			flags |= uintptr(st.Flags) & (syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC | syscall.MS_NOATIME | syscall.MS_NODIRATIME | syscall.MS_RELATIME)
		}
		if err := syscall.Mount("", source, "", flags, ""); err != nil {
			fail("make %s read-only: %v", source, err)
		}
	}
	path := command[0]
	if !strings.Contains(path, "/") {
		found, err := exec.LookPath(path)
		if err != nil {
			fail("%v", err)
		}
		path = found
	}
	err := syscall.Exec(path, command, os.Environ())
	fail("exec %s: %v", path, err)
}

// hideDirectory mounts an empty, read-only tmpfs over dir in this (private) mount namespace, so
// virtiofsd, whose sandbox takes the share with its submounts, serves an empty directory there
// that nobody can write to. A missing dir is skipped; anything but a directory (a symbolic link
// put there after the JVM resolved it, say) fails: mounting would follow it.
func hideDirectory(dir string) {
	info, err := os.Lstat(dir)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		fail("hide %s: %v", dir, err)
	}
	if !info.IsDir() {
		fail("hide %s: not a directory", dir)
	}
	flags := uintptr(syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC)
	if err := syscall.Mount("linux-hidden", dir, "tmpfs", flags, "mode=0500,size=4k,nr_inodes=16"); err != nil {
		fail("hide %s: mount tmpfs: %v", dir, err)
	}
}
