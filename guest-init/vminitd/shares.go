package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// keyShare names one virtiofs share to mount, repeated per share:
// linux.share=TAG:PATH[:ro], PATH percent-encoded (any byte may be %XX; the host encodes all but
// letters, digits and "/._-"), so that spaces, colons and other bytes survive the command line.
const keyShare = "linux.share"

type shareMount struct {
	tag      string
	path     string // absolute, clean, inside the environment
	readOnly bool
}

// parseShare reads the value of one linux.share= word.
func parseShare(value string) (shareMount, error) {
	tag, rest, ok := strings.Cut(value, ":")
	if !ok || tag == "" || len(tag) > 36 {
		return shareMount{}, fmt.Errorf("%s=%s: expected TAG:PATH[:ro] with a tag of 1 to 36 bytes", keyShare, value)
	}
	m := shareMount{tag: tag}
	if strings.HasSuffix(rest, ":ro") {
		m.readOnly = true
		rest = strings.TrimSuffix(rest, ":ro")
	}
	p, err := percentDecode(rest)
	if err != nil {
		return shareMount{}, fmt.Errorf("%s=%s: %v", keyShare, value, err)
	}
	if !strings.HasPrefix(p, "/") || p == "/" || strings.ContainsAny(p, "\x00\n") {
		return shareMount{}, fmt.Errorf("%s=%s: %q is not an absolute path below /", keyShare, value, p)
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "." || comp == ".." {
			return shareMount{}, fmt.Errorf("%s=%s: %q contains %q", keyShare, value, p, comp)
		}
	}
	m.path = filepath.Clean(p)
	return m, nil
}

func percentDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("bad percent escape at byte %d", i)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// shareFlags: host files never bring set-uid bits or device nodes into the guest.
func shareFlags(m shareMount) uintptr {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if m.readOnly {
		flags |= unix.MS_RDONLY
	}
	return flags
}

// mountShares mounts every share inside root (the environment, before its namespace exists and
// before any of its processes runs), creating mount points as directories (0755, root) with
// symlinks resolved inside root. A share that cannot be mounted is logged and returned as a
// problem; the others still are.
func mountShares(root string, shares []shareMount) (problems []string) {
	for _, m := range shares {
		if err := mountShare(root, m); err != nil {
			msg := fmt.Sprintf("share %s (virtiofs %s): %v", m.path, m.tag, err)
			logf("%s", msg)
			problems = append(problems, msg)
			continue
		}
		debugf("mounted virtiofs %s on %s (read-only %v)", m.tag, m.path, m.readOnly)
	}
	return problems
}

func mountShare(root string, m shareMount) error {
	target, err := mkdirIn(root, m.path)
	if err != nil {
		return err
	}
	if err := unix.Mount(m.tag, target, "virtiofs", shareFlags(m), ""); err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	return nil
}

// mkdirIn creates the directory p (absolute) inside root as mkdir -p would for a process chrooted
// there: existing symlinks are followed inside root, never out of it. It returns the host path.
func mkdirIn(root, p string) (string, error) {
	cur := "/"
	for _, comp := range splitPath(p) {
		next := filepath.Join(cur, comp)
		host, err := resolveIn(root, next)
		if errors.Is(err, fs.ErrNotExist) {
			parent, perr := resolveIn(root, cur)
			if perr != nil {
				return "", perr
			}
			host = filepath.Join(parent, comp)
			if err := os.Mkdir(host, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return "", err
			}
			host, err = resolveIn(root, next)
		}
		if err != nil {
			return "", err
		}
		if fi, err := os.Stat(host); err != nil {
			return "", err
		} else if !fi.IsDir() {
			return "", fmt.Errorf("%s is not a directory", next)
		}
		cur = next
	}
	return resolveIn(root, p)
}
