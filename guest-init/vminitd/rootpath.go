package main

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// resolveIn resolves the absolute path p as a process chrooted into root would see it: symlinks
// are followed with root as "/" and ".." never leaves root. It returns the host path of the result
// (root joined with the resolved path). A missing component yields an error wrapping
// fs.ErrNotExist.
func resolveIn(root, p string) (string, error) {
	if root == "" {
		root = "/"
	}
	pending := splitPath(p)
	cur := "/"
	hops := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		host := filepath.Join(root, next)
		fi, err := os.Lstat(host)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(pending) > 0 && !fi.IsDir() {
				return "", &fs.PathError{Op: "resolve", Path: next, Err: unix.ENOTDIR}
			}
			cur = next
			continue
		}
		hops++
		if hops > 40 {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: unix.ELOOP}
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		pending = append(splitPath(target), pending...)
	}
	return filepath.Join(root, cur), nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

var (
	errExecNotFound   = errors.New("executable not found")
	errExecPermission = errors.New("permission denied")
)

// lookPathIn finds argv0 the way execvp would inside root: a name with a slash is taken as is
// (relative to cwd), otherwise each directory of pathEnv is tried in order. It returns the path to
// exec as seen inside root.
func lookPathIn(root, cwd, argv0, pathEnv string) (string, error) {
	abs := func(p string) string {
		if strings.HasPrefix(p, "/") {
			return path.Clean(p)
		}
		return path.Join(cwd, p)
	}
	if strings.Contains(argv0, "/") {
		if err := checkExecutable(root, abs(argv0)); err != nil {
			return "", err
		}
		return argv0, nil
	}
	if pathEnv == "" {
		pathEnv = defaultPath
	}
	denied := false
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		candidate := path.Join(dir, argv0)
		err := checkExecutable(root, abs(candidate))
		if err == nil {
			if !strings.HasPrefix(candidate, "/") && !strings.HasPrefix(candidate, ".") {
				candidate = "./" + candidate
			}
			return candidate, nil
		}
		if errors.Is(err, errExecPermission) {
			denied = true
		}
	}
	if denied {
		return "", errExecPermission
	}
	return "", errExecNotFound
}

// checkExecutable: a regular file with an execute bit. The kernel decides the rest at exec time.
func checkExecutable(root, p string) error {
	host, err := resolveIn(root, p)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return errExecPermission
		}
		return errExecNotFound
	}
	fi, err := os.Stat(host)
	if err != nil {
		return errExecNotFound
	}
	if fi.IsDir() || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return errExecPermission
	}
	return nil
}

// envLookup returns the value of key in a KEY=VALUE list: the first occurrence, as the process's
// own getenv would see it.
func envLookup(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
