package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	name, gecos, home, shell string
	uid, gid                 uint32
}

// groupEntry is one line of /etc/group.
type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// readEnvFile reads a file of the environment (symlinks resolved inside root); a missing file
// reads as empty.
func readEnvFile(root, p string) ([]byte, error) {
	host, err := resolveIn(root, p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	b, err := os.ReadFile(host)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return b, err
}

// colonRecords splits a colon-separated database (passwd, group, shadow) into fields, skipping
// blank lines, comments and NIS "+"/"-" entries.
func colonRecords(b []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

func parsePasswd(b []byte) []passwdEntry {
	var out []passwdEntry
	for _, f := range colonRecords(b) {
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid), gecos: f[4], home: f[5], shell: f[6]})
	}
	return out
}

func parseGroup(b []byte) []groupEntry {
	var out []groupEntry
	for _, f := range colonRecords(b) {
		if len(f) < 4 {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		out = append(out, groupEntry{name: f[0], gid: uint32(gid), members: members})
	}
	return out
}

// resolvedUser is who a process runs as, and what a login would put in its environment.
type resolvedUser struct {
	uid, gid uint32
	groups   []uint32
	name     string // empty for a uid without a passwd entry
	home     string
	shell    string
}

func parseID(s string) (uint32, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// resolveUser resolves "name", "name:group", "uid" or "uid:gid" against the passwd and group
// files of the environment rooted at root, as login(1) would: primary group from passwd,
// supplementary groups from every group that lists the user. Unknown names are InvalidArgument:
// NotFound means a missing program, and the host reports it as "command not found" (127).
func resolveUser(root, spec string) (*resolvedUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" || (hasGroup && groupPart == "") {
		return nil, status.Errorf(codes.InvalidArgument, "user %q: expected NAME, NAME:GROUP, UID or UID:GID", spec)
	}
	pb, err := readEnvFile(root, "/etc/passwd")
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read /etc/passwd: %v", err)
	}
	gb, err := readEnvFile(root, "/etc/group")
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read /etc/group: %v", err)
	}
	users, groups := parsePasswd(pb), parseGroup(gb)

	u := &resolvedUser{home: "/", shell: "/bin/sh"}
	var entry *passwdEntry
	if uid, numeric := parseID(userPart); numeric {
		u.uid = uid
		for i := range users {
			if users[i].uid == uid {
				entry = &users[i]
				break
			}
		}
	} else {
		for i := range users {
			if users[i].name == userPart {
				entry = &users[i]
				break
			}
		}
		if entry == nil {
			return nil, status.Errorf(codes.InvalidArgument, "unknown user %q: no such entry in the environment's /etc/passwd", userPart)
		}
		u.uid = entry.uid
	}
	if entry != nil {
		u.name, u.gid = entry.name, entry.gid
		if entry.home != "" {
			u.home = entry.home
		}
		if entry.shell != "" {
			u.shell = entry.shell
		}
	}
	if hasGroup {
		if gid, numeric := parseID(groupPart); numeric {
			u.gid = gid
		} else {
			found := false
			for _, g := range groups {
				if g.name == groupPart {
					u.gid, found = g.gid, true
					break
				}
			}
			if !found {
				return nil, status.Errorf(codes.InvalidArgument, "unknown group %q: no such entry in the environment's /etc/group", groupPart)
			}
		}
	}
	u.groups = []uint32{u.gid}
	if u.name != "" {
		for _, g := range groups {
			if g.gid == u.gid {
				continue
			}
			for _, m := range g.members {
				if m == u.name {
					u.groups = append(u.groups, g.gid)
					break
				}
			}
		}
	}
	return u, nil
}

// loginEnv adds HOME, SHELL, USER and LOGNAME for u to env unless env already sets them.
func loginEnv(env []string, u *resolvedUser) []string {
	out := append([]string(nil), env...)
	add := func(k, v string) {
		if _, ok := envLookup(env, k); !ok {
			out = append(out, k+"="+v)
		}
	}
	add("HOME", u.home)
	add("SHELL", u.shell)
	if u.name != "" {
		add("USER", u.name)
		add("LOGNAME", u.name)
	}
	return out
}

// validUserName accepts what useradd accepts by default (Debian's NAME_REGEX, a bit relaxed).
func validUserName(n string) error {
	if n == "" || len(n) > 32 {
		return fmt.Errorf("user name %q must have 1 to 32 characters", n)
	}
	for i, r := range n {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
			(i > 0 && (r == '-' || r == '.' || (r >= '0' && r <= '9'))) ||
			(i == len(n)-1 && r == '$')
		if !ok {
			return fmt.Errorf("user name %q: invalid character %q", n, r)
		}
	}
	return nil
}
