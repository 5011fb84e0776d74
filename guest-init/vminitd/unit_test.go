package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

func TestParseCmdline(t *testing.T) {
	c := parseCmdline(`console=ttyS0 quiet linux.agent=agent2 linux.root=/dev/vda linux.hostname=dev "foo=bar baz" linux.debug=1` + "\n")
	if c.agentPort != "agent2" || c.root != "/dev/vda" || c.hostname != "dev" || !c.debug {
		t.Fatalf("got %+v", c)
	}
	c = parseCmdline("console=ttyS0 linux.debug=0")
	if c.agentPort != defaultAgentPort || c.root != "" || c.debug {
		t.Fatalf("defaults: got %+v", c)
	}
	if w := splitCmdline(`a "b c" d="e f"`); len(w) != 3 || w[1] != "b c" || w[2] != "d=e f" {
		t.Fatalf("split: %q", w)
	}
}

func TestParseLoadOrder(t *testing.T) {
	names, err := parseLoadOrder(strings.NewReader("virtio_ring.ko\n\n# comment\n virtio.ko \nvirtio_mmio.ko"))
	if err != nil || strings.Join(names, ",") != "virtio_ring.ko,virtio.ko,virtio_mmio.ko" {
		t.Fatalf("%q %v", names, err)
	}
	if _, err := parseLoadOrder(strings.NewReader("../evil.ko\n")); err == nil {
		t.Fatal("path in load.order accepted")
	}
}

func TestValidateSpec(t *testing.T) {
	ok := &agentpb.ProcessSpec{Args: []string{"sh"}, Env: []string{"A=1", "B="}, Cwd: "/x"}
	if err := validateSpec(ok); err != nil {
		t.Fatal(err)
	}
	bad := []*agentpb.ProcessSpec{
		nil,
		{},
		{Args: []string{""}},
		{Args: []string{"sh"}, Env: []string{"NOEQUALS"}},
		{Args: []string{"sh"}, Env: []string{"=v"}},
		{Args: []string{"sh"}, Cwd: "relative"},
		{Args: []string{"a\x00b"}},
		{Args: []string{"sh", strings.Repeat("x", maxSpecBytes)}},
		{Args: []string{"sh"}, User: "alice\x00"},
		{Args: []string{"sh"}, User: strings.Repeat("u", 300)},
	}
	for i, s := range bad {
		if status.Code(validateSpec(s)) != codes.InvalidArgument {
			t.Errorf("case %d: want InvalidArgument, got %v", i, validateSpec(s))
		}
	}
}

func TestResolveAndLookPathInRoot(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "home/u"), 0o755))
	must(os.WriteFile(filepath.Join(root, "usr/bin/tool"), []byte("#!/bin/sh\n"), 0o755))
	must(os.WriteFile(filepath.Join(root, "usr/bin/noexec"), []byte("x"), 0o644))
	must(os.Symlink("usr/bin", filepath.Join(root, "bin")))
	must(os.Symlink("/usr/bin/tool", filepath.Join(root, "home/u/abs-link")))
	must(os.Symlink("../../../../../../etc", filepath.Join(root, "home/u/escape")))

	if p, err := resolveIn(root, "/bin/tool"); err != nil || p != filepath.Join(root, "usr/bin/tool") {
		t.Fatalf("resolve: %q %v", p, err)
	}
	if p, err := resolveIn(root, "/home/u/abs-link"); err != nil || p != filepath.Join(root, "usr/bin/tool") {
		t.Fatalf("absolute symlink must stay inside root: %q %v", p, err)
	}
	if p, err := resolveIn(root, "/home/u/escape"); err == nil && !strings.HasPrefix(p, root) {
		t.Fatalf("escaped root: %q", p)
	}
	if p, err := lookPathIn(root, "/", "tool", "/bin:/usr/bin"); err != nil || p != "/bin/tool" {
		t.Fatalf("lookPath: %q %v", p, err)
	}
	if _, err := lookPathIn(root, "/", "tool", "/nope"); err != errExecNotFound {
		t.Fatalf("want not found, got %v", err)
	}
	if _, err := lookPathIn(root, "/", "noexec", ""); err != errExecPermission {
		t.Fatalf("want permission, got %v", err)
	}
	if p, err := lookPathIn(root, "/home/u", "abs-link", "."); err != nil || p != "./abs-link" {
		t.Fatalf("relative PATH entry: %q %v", p, err)
	}
	if _, err := lookPathIn(root, "/", "./usr/bin/tool", ""); err != nil {
		t.Fatalf("name with slash: %v", err)
	}
	if v, ok := envLookup([]string{"A=1", "PATH=/x", "PATH=/y"}, "PATH"); !ok || v != "/x" {
		t.Fatalf("envLookup: %q", v)
	}
}

func TestExitStatus(t *testing.T) {
	// Linux wait status encoding: exit code in bits 8-15, terminating signal in bits 0-6.
	if s := exitStatus(unix.WaitStatus(7 << 8)); s != 7 {
		t.Fatalf("exit 7: %d", s)
	}
	ws := unix.WaitStatus(9)
	if exitStatus(ws) != 137 || exitSignal(ws) != 9 {
		t.Fatalf("SIGKILL: %d %d", exitStatus(ws), exitSignal(ws))
	}
	if exitSignal(unix.WaitStatus(0)) != 0 {
		t.Fatal("signal of a normal exit")
	}
}

// startTestReaper runs a reaper fed by SIGCHLD, as main does.
func startTestReaper(t *testing.T) *reaper {
	r := newReaper()
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, unix.SIGCHLD)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				r.reap()
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { signal.Stop(ch); close(stop) })
	return r
}

func TestReaperDeliversStatusOfFastChild(t *testing.T) {
	r := startTestReaper(t)
	for i := 0; i < 20; i++ {
		pid, ch, err := r.start(func() (int, error) {
			p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 3"}, &os.ProcAttr{})
			if err != nil {
				return 0, err
			}
			return p.Pid, nil
		})
		if err != nil {
			t.Skipf("no /bin/sh: %v", err)
		}
		select {
		case ws := <-ch:
			if exitStatus(ws) != 3 {
				t.Fatalf("pid %d: status %d", pid, exitStatus(ws))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("pid %d: status never delivered", pid)
		}
	}
	if r.hasChildren() {
		t.Fatal("children left unreaped")
	}
}
