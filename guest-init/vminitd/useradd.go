package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

// accountsMu serialises vminitd's own edits of the account files; /etc/.pwd.lock (the lock of
// lckpwdf(3)) keeps tools inside the environment out while we edit.
var accountsMu sync.Mutex

// ensureUser creates the account described by req in the environment at root unless a user of
// that name exists. It edits group, gshadow, passwd and shadow itself (each replaced atomically),
// creates the home directory from /etc/skel, and grants passwordless sudo when sudo is installed.
func ensureUser(root string, req *agentpb.EnsureUserRequest) (*agentpb.EnsureUserResponse, error) {
	if err := validUserName(req.Name); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if req.Uid == 0 || req.Gid == 0 {
		return nil, status.Error(codes.InvalidArgument, "ensure user: uid and gid must not be 0 (root exists already)")
	}
	if strings.ContainsAny(req.Gecos+req.Home+req.Shell, ":\n") {
		return nil, status.Error(codes.InvalidArgument, "ensure user: gecos, home and shell must not contain ':' or newlines")
	}
	if req.Home != "" && !strings.HasPrefix(req.Home, "/") {
		return nil, status.Errorf(codes.InvalidArgument, "ensure user: home %q is not absolute", req.Home)
	}
	accountsMu.Lock()
	defer accountsMu.Unlock()
	etc, err := resolveIn(root, "/etc")
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "ensure user: the environment has no /etc: %v", err)
	}
	unlock, err := lockPasswdFiles(etc)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "ensure user: %v", err)
	}
	defer unlock()

	pb, err := os.ReadFile(filepath.Join(etc, "passwd"))
	if err != nil && !os.IsNotExist(err) {
		return nil, status.Errorf(codes.Internal, "read /etc/passwd: %v", err)
	}
	gb, err := os.ReadFile(filepath.Join(etc, "group"))
	if err != nil && !os.IsNotExist(err) {
		return nil, status.Errorf(codes.Internal, "read /etc/group: %v", err)
	}
	for _, u := range parsePasswd(pb) {
		if u.name == req.Name {
			return &agentpb.EnsureUserResponse{Created: false, Uid: u.uid, Gid: u.gid, Home: u.home, Shell: u.shell,
				Sudo: fileExists(filepath.Join(etc, "sudoers.d", sudoersName(u.name)))}, nil
		}
		if u.uid == req.Uid {
			return nil, status.Errorf(codes.FailedPrecondition, "ensure user %s: uid %d already belongs to %q", req.Name, req.Uid, u.name)
		}
	}
	needGroup := true
	for _, g := range parseGroup(gb) {
		if g.gid == req.Gid {
			needGroup = false // join the existing group of that gid
		} else if g.name == req.Name {
			return nil, status.Errorf(codes.FailedPrecondition, "ensure user %s: group %q exists with gid %d, not %d", req.Name, g.name, g.gid, req.Gid)
		}
	}

	home := req.Home
	if home == "" {
		home = "/home/" + req.Name
	}
	shell := req.Shell
	if shell == "" {
		shell = defaultShell(root)
	}
	days := time.Now().Unix() / 86400

	if needGroup {
		if err := appendLine(etc, "group", fmt.Sprintf("%s:x:%d:", req.Name, req.Gid), 0o644); err != nil {
			return nil, err
		}
		if fileExists(filepath.Join(etc, "gshadow")) {
			if err := appendLine(etc, "gshadow", req.Name+":!::", 0o640); err != nil {
				return nil, err
			}
		}
	}
	if err := appendLine(etc, "passwd", fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", req.Name, req.Uid, req.Gid, req.Gecos, home, shell), 0o644); err != nil {
		return nil, err
	}
	if fileExists(filepath.Join(etc, "shadow")) {
		if err := appendLine(etc, "shadow", fmt.Sprintf("%s:*:%d:0:99999:7:::", req.Name, days), 0o640); err != nil {
			return nil, err
		}
	}
	if err := makeHome(root, home, req.Uid, req.Gid); err != nil {
		return nil, status.Errorf(codes.Internal, "ensure user %s: home %s: %v", req.Name, home, err)
	}
	sudo := false
	if !req.NoSudo && sudoInstalled(root) {
		if err := grantSudo(etc, req.Name); err != nil {
			return nil, status.Errorf(codes.Internal, "ensure user %s: sudo: %v", req.Name, err)
		}
		sudo = true
	}
	return &agentpb.EnsureUserResponse{Created: true, Uid: req.Uid, Gid: req.Gid, Home: home, Shell: shell, Sudo: sudo}, nil
}

// lockPasswdFiles takes the lckpwdf(3) lock (a write lock on /etc/.pwd.lock), waiting up to 15 s.
func lockPasswdFiles(etc string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(etc, ".pwd.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open /etc/.pwd.lock: %w", err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	deadline := time.Now().Add(15 * time.Second)
	for {
		err = unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
		if err == nil {
			return func() {
				lk.Type = unix.F_UNLCK
				_ = unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
				f.Close()
			}, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("the account files are locked (/etc/.pwd.lock): %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// defaultShell: SHELL= of /etc/default/useradd, else /bin/bash when present, else /bin/sh.
func defaultShell(root string) string {
	b, _ := readEnvFile(root, "/etc/default/useradd")
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "SHELL=") {
			v := strings.Trim(strings.TrimPrefix(line, "SHELL="), `"'`)
			if strings.HasPrefix(v, "/") {
				return v
			}
		}
	}
	if checkExecutable(root, "/bin/bash") == nil {
		return "/bin/bash"
	}
	return "/bin/sh"
}

func sudoInstalled(root string) bool {
	for _, p := range []string{"/usr/bin/sudo", "/bin/sudo", "/usr/local/bin/sudo"} {
		if host, err := resolveIn(root, p); err == nil && fileExists(host) {
			return true
		}
	}
	return false
}

// sudoersName: sudo ignores files in sudoers.d whose names contain '.' or end in '~'.
func sudoersName(user string) string {
	return "90-linux-" + strings.NewReplacer(".", "_", "~", "_").Replace(user)
}

func grantSudo(etc, user string) error {
	dir := filepath.Join(etc, "sudoers.d")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	rule := fmt.Sprintf("# Written by vminitd: the environment's default user.\n%s ALL=(ALL:ALL) NOPASSWD: ALL\n", user)
	return writeFileAtomic(filepath.Join(dir, sudoersName(user)), []byte(rule), 0o440, 0, 0)
}

// appendLine adds line to etc/name, replacing the file atomically and keeping its mode and owner
// (a missing file is created with mode).
func appendLine(etc, name, line string, mode os.FileMode) error {
	p := filepath.Join(etc, name)
	old, err := os.ReadFile(p)
	uid, gid := 0, 0
	if err == nil {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			mode = os.FileMode(st.Mode & 0o7777)
			uid, gid = int(st.Uid), int(st.Gid)
		}
	} else if !os.IsNotExist(err) {
		return status.Errorf(codes.Internal, "read /etc/%s: %v", name, err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	data := append(old, []byte(line+"\n")...)
	if err := writeFileAtomic(p, data, mode, uid, gid); err != nil {
		return status.Errorf(codes.Internal, "write /etc/%s: %v", name, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file next to p, syncs it, and renames it over p.
func writeFileAtomic(p string, data []byte, mode os.FileMode, uid, gid int) error {
	dir, base := filepath.Split(p)
	f, err := os.CreateTemp(dir, "."+base+".vminitd-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chown(uid, gid); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// makeHome creates the home directory (parents owned by root) owned by uid:gid with a copy of
// /etc/skel; an existing home is left as it is.
func makeHome(root, home string, uid, gid uint32) error {
	parent, err := resolveIn(root, path.Dir(home))
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Join(root, path.Dir(home)), 0o755); err == nil {
			parent, err = resolveIn(root, path.Dir(home))
		}
	}
	if err != nil {
		return err
	}
	target := filepath.Join(parent, path.Base(home))
	if _, err := os.Lstat(target); err == nil {
		return nil
	}
	if err := os.Mkdir(target, 0o750); err != nil {
		return err
	}
	if err := os.Chown(target, int(uid), int(gid)); err != nil {
		return err
	}
	if skel, err := resolveIn(root, "/etc/skel"); err == nil {
		if err := copyTree(skel, target, int(uid), int(gid)); err != nil {
			logf("copy /etc/skel to %s: %v", home, err)
		}
	}
	return nil
}

// copyTree copies regular files, directories and symlinks from src into dst, owned by uid:gid.
func copyTree(src, dst string, uid, gid int) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		info, err := os.Lstat(s)
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			if err := os.Mkdir(d, info.Mode().Perm()); err != nil && !os.IsExist(err) {
				return err
			}
			if err := copyTree(s, d, uid, gid); err != nil {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(s)
			if err != nil {
				return err
			}
			if err := os.Symlink(t, d); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(s, d, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			continue
		}
		_ = os.Lchown(d, uid, gid)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
