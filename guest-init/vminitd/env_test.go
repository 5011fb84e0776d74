package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "/bash") || strings.HasSuffix(p, "/sudo") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const testPasswd = "root:x:0:0:root:/root:/bin/bash\n# comment\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000:Alice:/home/alice:/bin/zsh\n"
const testGroup = "root:x:0:\nwheel:x:10:alice,bob\nalice:x:1000:\ndocker:x:999:bob, alice\n"

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})

	u, err := resolveUser(root, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.uid != 1000 || u.gid != 1000 || u.home != "/home/alice" || u.shell != "/bin/zsh" || u.name != "alice" {
		t.Fatalf("alice: %+v", u)
	}
	if fmt.Sprint(u.groups) != "[1000 10 999]" {
		t.Fatalf("groups: %v", u.groups)
	}
	env := loginEnv([]string{"HOME=/custom", "PATH=/bin"}, u)
	if strings.Join(env, " ") != "HOME=/custom PATH=/bin SHELL=/bin/zsh USER=alice LOGNAME=alice" {
		t.Fatalf("env: %q", env)
	}
	if u, err = resolveUser(root, "alice:wheel"); err != nil || u.gid != 10 {
		t.Fatalf("alice:wheel: %+v %v", u, err)
	}
	if u, err = resolveUser(root, "1000:5"); err != nil || u.uid != 1000 || u.gid != 5 || u.name != "alice" {
		t.Fatalf("1000:5: %+v %v", u, err)
	}
	if u, err = resolveUser(root, "4242"); err != nil || u.uid != 4242 || u.gid != 0 || u.name != "" || u.home != "/" {
		t.Fatalf("4242: %+v %v", u, err)
	}
	for spec, code := range map[string]codes.Code{
		"nobody-here": codes.InvalidArgument, "alice:nogroup": codes.InvalidArgument, ":1": codes.InvalidArgument, "1:": codes.InvalidArgument,
	} {
		if _, err := resolveUser(root, spec); status.Code(err) != code {
			t.Errorf("%q: want %v, got %v", spec, code, err)
		}
	}
}

func TestEnsureUserEditsAccountFilesIdempotently(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root for chown")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/passwd": testPasswd, "etc/group": testGroup,
		"etc/shadow": "root:*:19000:0:99999:7:::\n", "etc/gshadow": "root:*::\n",
		"etc/default/useradd": "# defaults\nSHELL=/bin/ksh\n",
		"etc/skel/.profile":   "echo hi\n", "usr/bin/sudo": "", "bin/bash": "",
	})
	if err := os.Chmod(filepath.Join(root, "etc/shadow"), 0o640); err != nil {
		t.Fatal(err)
	}
	req := &agentpb.EnsureUserRequest{Name: "bob", Uid: 1001, Gid: 1001}
	r, err := ensureUser(root, req)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Created || r.Home != "/home/bob" || r.Shell != "/bin/ksh" || !r.Sudo {
		t.Fatalf("response: %+v", r)
	}
	if !strings.HasSuffix(readFile(t, filepath.Join(root, "etc/passwd")), "\nbob:x:1001:1001::/home/bob:/bin/ksh\n") {
		t.Fatalf("passwd:\n%s", readFile(t, filepath.Join(root, "etc/passwd")))
	}
	if !strings.HasSuffix(readFile(t, filepath.Join(root, "etc/group")), "\nbob:x:1001:\n") {
		t.Fatal("group not appended")
	}
	if !strings.Contains(readFile(t, filepath.Join(root, "etc/shadow")), "\nbob:*:") ||
		!strings.Contains(readFile(t, filepath.Join(root, "etc/gshadow")), "\nbob:!::") {
		t.Fatal("shadow files not appended")
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(root, "etc/shadow"), &st); err != nil || st.Mode&0o777 != 0o640 {
		t.Fatalf("shadow mode not kept: %o %v", st.Mode&0o777, err)
	}
	if err := unix.Stat(filepath.Join(root, "home/bob/.profile"), &st); err != nil || st.Uid != 1001 || st.Gid != 1001 {
		t.Fatalf("skel copy: %+v %v", st, err)
	}
	if got := readFile(t, filepath.Join(root, "etc/sudoers.d/90-linux-bob")); !strings.Contains(got, "bob ALL=(ALL:ALL) NOPASSWD: ALL") {
		t.Fatalf("sudoers: %q", got)
	}
	before := readFile(t, filepath.Join(root, "etc/passwd"))
	r, err = ensureUser(root, req)
	if err != nil || r.Created || r.Uid != 1001 {
		t.Fatalf("second call: %+v %v", r, err)
	}
	if readFile(t, filepath.Join(root, "etc/passwd")) != before {
		t.Fatal("second call changed passwd")
	}
	// A taken uid, a bad name, uid 0.
	for _, bad := range []*agentpb.EnsureUserRequest{
		{Name: "carol", Uid: 1000, Gid: 2000}, {Name: "bad:name", Uid: 2001, Gid: 2001}, {Name: "dave", Uid: 0, Gid: 0},
	} {
		if _, err := ensureUser(root, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	// Joining an existing group of that gid, default shell /bin/bash without useradd defaults.
	os.Remove(filepath.Join(root, "etc/default/useradd"))
	r, err = ensureUser(root, &agentpb.EnsureUserRequest{Name: "erin", Uid: 1002, Gid: 10, NoSudo: true})
	if err != nil || r.Shell != "/bin/bash" || r.Sudo {
		t.Fatalf("erin: %+v %v", r, err)
	}
	if strings.Contains(readFile(t, filepath.Join(root, "etc/group")), "erin") {
		t.Fatal("a group was created although gid 10 exists")
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "etc/.*vminitd*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestParseWSLConf(t *testing.T) {
	c, problems := parseWSLConf(`
# comment
[boot]
systemd = true
command = "echo booted > /tmp/boot; true"
[User]
Default = alice   # trailing comment
[network]
generateHosts = false
generateResolvConf=0
hostname=box.example-1.org
[automount]
enabled = NO
root = /mnt/
[other]
default = ignored
nonsense = maybe
`)
	if !c.systemd || c.bootCommand != "echo booted > /tmp/boot; true" || c.defaultUser != "alice" ||
		c.generateHosts || c.generateResolvConf || c.hostname != "box.example-1.org" || c.automount {
		t.Fatalf("%+v", c)
	}
	if len(problems) != 0 {
		t.Fatalf("problems in a valid file: %q", problems)
	}
	if d, problems := parseWSLConf(""); d != defaultWSLConf() || !d.automount || len(problems) != 0 {
		t.Fatalf("defaults: %+v %q", d, problems)
	}
	for _, v := range []string{"true", "Yes", "1", "ON"} {
		if c, _ := parseWSLConf("[automount]\nenabled=" + v); !c.automount {
			t.Fatalf("enabled=%s", v)
		}
	}
	for _, v := range []string{"false", "No", "0", "OFF", `"off"`} {
		if c, _ := parseWSLConf("[automount]\nenabled=" + v); c.automount {
			t.Fatalf("enabled=%s", v)
		}
	}
}

func TestWSLConfProblemsNameLineSectionKeyAndValue(t *testing.T) {
	c, problems := parseWSLConf(`garbage before any section
[boot]
systemd = ture
[network]
generateHosts = maybe

generateResolvConf =
hostname = my_box
[user]
default = "bad user"
[Automount]
Enabled = enabled
[boot
= value
`)
	if c != defaultWSLConf() {
		t.Fatalf("every invalid setting keeps its default: %+v", c)
	}
	want := []string{
		`/etc/wsl.conf line 1: "garbage before any section" is not a comment, [section] or key = value; ignored`,
		`/etc/wsl.conf line 3: [boot] systemd = "ture" is not a boolean (true or false); using false`,
		`/etc/wsl.conf line 5: [network] generateHosts = "maybe" is not a boolean (true or false); using true`,
		`/etc/wsl.conf line 7: [network] generateResolvConf = "" is not a boolean (true or false); using true`,
		`/etc/wsl.conf line 8: [network] hostname = "my_box" is not a valid hostname (letters, digits and '-' in dot-separated labels of at most 63 characters, 253 in all); using the environment's name`,
		`/etc/wsl.conf line 10: [user] default = "bad user" is not a user name (it holds whitespace or ':'); ignored`,
		`/etc/wsl.conf line 12: [Automount] Enabled = "enabled" is not a boolean (true or false); using true`,
		`/etc/wsl.conf line 13: [Automount] "[boot" is not a comment, [section] or key = value; ignored`,
		`/etc/wsl.conf line 14: [Automount] "= value" is not a comment, [section] or key = value; ignored`,
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	for _, v := range []string{"alice:x", "\"al\tice\"", "\"al\u00a0ice\""} {
		if c, p := parseWSLConf("[user]\ndefault = " + v + "\n"); c.defaultUser != "" || len(p) != 1 || !strings.HasPrefix(p[0], `/etc/wsl.conf line 2: [user] default = "al`) {
			t.Fatalf("%s: %q", v, p)
		}
	}
}

func TestWSLConfHostnames(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61) // 253 characters
	for _, h := range []string{"box", "Box-1", "a.b.c", "1host", label63, long} {
		if !validHostname(h) {
			t.Errorf("%q rejected", h)
		}
		if c, p := parseWSLConf("[network]\nhostname = " + h); c.hostname != h || len(p) != 0 {
			t.Errorf("%q: %+v %q", h, c, p)
		}
	}
	for _, h := range []string{"-box", "box-", "my_box", "a..b", "box.", label63 + "a", long + "b", "b\u00f6x", "a b"} {
		if validHostname(h) {
			t.Errorf("%q accepted", h)
		}
		if c, p := parseWSLConf("[network]\nhostname = \"" + h + "\""); c.hostname != "" || len(p) != 1 {
			t.Errorf("%q: %+v %q", h, c, p)
		}
	}
	// Unset is not a problem: the environment's name is used.
	if c, p := parseWSLConf("[network]\nhostname =\n"); c.hostname != "" || len(p) != 0 {
		t.Fatalf("%+v %q", c, p)
	}
}

func TestWSLConfProblemsAreBounded(t *testing.T) {
	_, problems := parseWSLConf(strings.Repeat("[boot]\nsystemd = "+strings.Repeat("x", 200)+"\n", 30))
	if len(problems) != maxConfProblems+1 || problems[maxConfProblems] != "/etc/wsl.conf: 10 more problems not shown" {
		t.Fatalf("%d problems, last %q", len(problems), problems[len(problems)-1])
	}
	if len(problems[0]) > 200 || !strings.Contains(problems[0], `"xxx`) || !strings.Contains(problems[0], `"... is not a boolean`) {
		t.Fatalf("long values are cut short: %q", problems[0])
	}
	c, problems := parseWSLConf("[boot]\nsystemd = true\n# " + strings.Repeat("x", 70000) + "\n[network]\nhostname = late\n")
	if !c.systemd || c.hostname != "" || len(problems) != 1 ||
		problems[0] != "/etc/wsl.conf line 3: longer than 65536 bytes; the rest of the file is ignored" {
		t.Fatalf("%+v %q", c, problems)
	}
}

func TestPrepareEnvironmentGeneratesFiles(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/hostname": "old\n"})
	res := prepareEnvironment(root, "dev", true)
	if readFile(t, filepath.Join(root, "etc/hostname")) != "dev\n" ||
		!strings.Contains(readFile(t, filepath.Join(root, "etc/hosts")), "127.0.1.1\tdev\n") ||
		!strings.Contains(readFile(t, filepath.Join(root, "etc/resolv.conf")), "nameserver 10.0.2.3\n") {
		t.Fatalf("generated: %v", res.generated)
	}
	if len(res.generated) != 3 {
		t.Fatalf("generated: %v", res.generated)
	}
	// An image's own hosts and resolv.conf are replaced (it names the network it was built on)...
	writeFiles(t, root, map[string]string{"etc/resolv.conf": "nameserver 10.255.255.53\n", "etc/hosts": "10.0.0.1 mine\n"})
	prepareEnvironment(root, "dev", true)
	if !strings.Contains(readFile(t, filepath.Join(root, "etc/hosts")), "127.0.1.1\tdev\n") ||
		!strings.HasSuffix(readFile(t, filepath.Join(root, "etc/resolv.conf")), "\nnameserver 10.0.2.3\n") {
		t.Fatal("an image's hosts or resolv.conf kept")
	}
	// ...unless the image opts out, and then they are never touched.
	writeFiles(t, root, map[string]string{
		"etc/resolv.conf": "nameserver 1.1.1.1\n", "etc/hosts": "10.0.0.1 mine\n",
		"etc/wsl.conf": "[network]\nhostname = other\ngenerateResolvConf = false\ngenerateHosts = false\n",
	})
	res = prepareEnvironment(root, "dev", true)
	if res.hostname != "other" || readFile(t, filepath.Join(root, "etc/hosts")) != "10.0.0.1 mine\n" ||
		readFile(t, filepath.Join(root, "etc/resolv.conf")) != "nameserver 1.1.1.1\n" {
		t.Fatalf("opt-out: %+v", res)
	}
	os.Remove(filepath.Join(root, "etc/resolv.conf"))
	if prepareEnvironment(root, "dev", true); fileExists(filepath.Join(root, "etc/resolv.conf")) {
		t.Fatal("resolv.conf written although generateResolvConf = false")
	}
	if len(res.confProblems) != 0 || !res.conf.automount {
		t.Fatalf("opt-out: %+v", res)
	}
	// A bad value is reported and its setting keeps the default: the host's hostname here.
	writeFiles(t, root, map[string]string{"etc/wsl.conf": "[network]\nhostname = bad_name\n[automount]\nenabled = false\n"})
	res = prepareEnvironment(root, "dev", true)
	if res.hostname != "dev" || res.conf.automount || len(res.confProblems) != 1 ||
		!strings.HasPrefix(res.confProblems[0], `/etc/wsl.conf line 2: [network] hostname = "bad_name" is not a valid hostname`) {
		t.Fatalf("bad hostname: %+v", res)
	}
	// An unreadable wsl.conf is a problem too.
	os.Remove(filepath.Join(root, "etc/wsl.conf"))
	if err := os.Mkdir(filepath.Join(root, "etc/wsl.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	res = prepareEnvironment(root, "dev", true)
	if res.conf != defaultWSLConf() || len(res.confProblems) != 1 || res.confProblems[0] != "/etc/wsl.conf: cannot read it (is a directory); using the defaults" {
		t.Fatalf("unreadable: %+v", res)
	}
}

func TestMountPlans(t *testing.T) {
	var targets []string
	for _, m := range initramfsMounts() {
		targets = append(targets, m.target)
	}
	want := "/proc /sys /sys/fs/cgroup /dev /dev/pts /dev/shm /run"
	if strings.Join(targets, " ") != want {
		t.Fatalf("initramfs mounts: %v", targets)
	}
	targets = nil
	for _, m := range environmentMounts("/run/env") {
		targets = append(targets, m.target)
		if m.target == "/run/env/dev" && m.flags&unix.MS_REC == 0 {
			t.Fatal("/dev must be bound recursively (pts, shm)")
		}
	}
	if strings.Join(targets, " ") != "/run/env/proc /run/env/sys /run/env/sys/fs/cgroup /run/env/dev /run/env/run /run/env/tmp" {
		t.Fatalf("environment mounts: %v", targets)
	}
	// Every mount's parent comes before it.
	for _, plan := range [][]mountSpec{initramfsMounts(), environmentMounts("/r")} {
		for i, m := range plan {
			for _, later := range plan[i+1:] {
				if strings.HasPrefix(m.target, later.target+"/") {
					t.Fatalf("%s is mounted before its parent %s", m.target, later.target)
				}
			}
		}
	}
}

func TestParseProcStat(t *testing.T) {
	p, comm := parseProcStat("42 (my (odd) cmd) S 1 42 40 0 -1 4194560 ...")
	if p == nil || comm != "my (odd) cmd" || p.State != "S" || p.Ppid != 1 || p.Pgid != 42 || p.Sid != 40 {
		t.Fatalf("%+v %q", p, comm)
	}
	self := listProcesses("/proc", func(pid int) bool { return pid == os.Getpid() })
	found := false
	for _, q := range self {
		if int(q.Pid) == os.Getpid() {
			found = q.ExecSession && len(q.Args) > 0
		}
	}
	if !found {
		t.Fatal("own process not listed")
	}
}

func TestCopyInOutAndStat(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/x": "old"})
	if err := os.Symlink("/etc/x", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("0123456789", 10000)
	reqs := []*agentpb.CopyInRequest{
		{Kind: &agentpb.CopyInRequest_Header{Header: &agentpb.CopyInHeader{Path: "/link", Mode: 0o600, Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}}},
		{Kind: &agentpb.CopyInRequest_Data{Data: []byte(data[:50000])}},
		{Kind: &agentpb.CopyInRequest_Data{Data: []byte(data[50000:])}},
	}
	recv := func() (*agentpb.CopyInRequest, error) {
		if len(reqs) == 0 {
			return nil, io.EOF
		}
		r := reqs[0]
		reqs = reqs[1:]
		return r, nil
	}
	n, err := copyIn(root, recv)
	if err != nil || n != uint64(len(data)) {
		t.Fatalf("copyIn: %d %v", n, err)
	}
	if readFile(t, filepath.Join(root, "etc/x")) != data {
		t.Fatal("content through the symlink")
	}
	info, err := statIn(root, &agentpb.StatRequest{Path: "/link"})
	if err != nil || info.Size != uint64(len(data)) || info.Mode&0o777 != 0o600 || info.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("stat: %+v %v", info, err)
	}
	info, err = statIn(root, &agentpb.StatRequest{Path: "/link", NoFollow: true})
	if err != nil || info.LinkTarget != "/etc/x" {
		t.Fatalf("lstat: %+v %v", info, err)
	}
	if _, err := statIn(root, &agentpb.StatRequest{Path: "/missing"}); status.Code(err) != codes.NotFound {
		t.Fatalf("missing: %v", err)
	}
	var got strings.Builder
	var header *agentpb.FileInfo
	err = copyOut(root, &agentpb.CopyOutRequest{Path: "/etc/x"}, func(r *agentpb.CopyOutResponse) error {
		if h := r.GetHeader(); h != nil {
			header = h
		}
		got.Write(r.GetData())
		return nil
	})
	if err != nil || header == nil || got.String() != data {
		t.Fatalf("copyOut: %v", err)
	}
	if err := copyOut(root, &agentpb.CopyOutRequest{Path: "/etc"}, func(*agentpb.CopyOutResponse) error { return nil }); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("directory: %v", err)
	}
	reqs = []*agentpb.CopyInRequest{{Kind: &agentpb.CopyInRequest_Header{Header: &agentpb.CopyInHeader{Path: "/nodir/f"}}}}
	if _, err := copyIn(root, recv); status.Code(err) != codes.NotFound {
		t.Fatalf("missing directory: %v", err)
	}
}

// Orphans of a child are reparented to the process that reaps (here a subreaper, as PID 1 is in
// the guest) and none is left a zombie.
func TestReaperCollectsOrphans(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("subreaper: %v", err)
	}
	r := startTestReaper(t)
	_, ch, err := r.start(func() (int, error) {
		p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "i=0; while [ $i -lt 100 ]; do (sleep 0.2; exit 3) & i=$((i+1)); done"}, &os.ProcAttr{})
		if err != nil {
			return 0, err
		}
		return p.Pid, nil
	})
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	<-ch
	deadline := time.Now().Add(20 * time.Second)
	for r.hasChildren() {
		if time.Now().After(deadline) {
			t.Fatal("orphans left")
		}
		r.notify()
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range listProcesses("/proc", func(int) bool { return false }) {
		if int(p.Ppid) == os.Getpid() && p.State == "Z" {
			t.Fatalf("zombie %d", p.Pid)
		}
	}
}

func TestExportTarKeepsTypesAndHardLinks(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/passwd": testPasswd, "usr/bin/bash": "#!binary"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Link(filepath.Join(root, "usr/bin/bash"), filepath.Join(root, "usr/bin/sh")))
	must(os.Symlink("usr/bin", filepath.Join(root, "bin")))
	must(unix.Mkfifo(filepath.Join(root, "fifo"), 0o600))
	must(os.Mkdir(filepath.Join(root, "empty"), 0o700))
	var buf strings.Builder
	w := &chunkWriter{send: func(b []byte) error { buf.Write(b); return nil }, buf: make([]byte, 0, 1000)}
	must(exportTar(root, w))
	must(w.flush())
	tr := tar.NewReader(strings.NewReader(buf.String()))
	got := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(err)
		got[h.Name] = h
		if h.Name == "etc/passwd" {
			b, _ := io.ReadAll(tr)
			if string(b) != testPasswd {
				t.Fatalf("passwd content %q", b)
			}
		}
	}
	bash, sh := got["usr/bin/bash"], got["usr/bin/sh"]
	if bash == nil || sh == nil || !((bash.Typeflag == tar.TypeReg && sh.Typeflag == tar.TypeLink && sh.Linkname == "usr/bin/bash") ||
		(sh.Typeflag == tar.TypeReg && bash.Typeflag == tar.TypeLink && bash.Linkname == "usr/bin/sh")) {
		t.Fatalf("hard link: %+v %+v", bash, sh)
	}
	if h := got["bin"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "usr/bin" {
		t.Fatalf("symlink: %+v", h)
	}
	if h := got["fifo"]; h == nil || h.Typeflag != tar.TypeFifo {
		t.Fatalf("fifo: %+v", h)
	}
	if h := got["empty/"]; h == nil || h.Typeflag != tar.TypeDir || h.Mode != 0o700 {
		t.Fatalf("dir: %+v", h)
	}
}
