package main

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// exportTar writes root as a tar stream (PAX format: long names, large files, nanosecond times,
// xattrs) to w. It stays on root's file system: directories where another file system is mounted
// are written empty. Hard links are kept; sockets are skipped. Entries that vanish or cannot be
// read while the walk runs are logged and skipped, so a live environment can be exported.
func exportTar(root string, w io.Writer) error {
	var rootSt unix.Stat_t
	if err := unix.Lstat(root, &rootSt); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	links := map[inode]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			if p == root {
				return walkErr
			}
			debugf("export: %v", walkErr)
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			debugf("export: %v", err)
			return nil
		}
		otherFS := st.Dev != rootSt.Dev
		if otherFS && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil
		}
		h, err := tarHeader(p, rel, &st)
		if err != nil || h == nil {
			return nil // a socket, or a link that vanished
		}
		if h.Typeflag == tar.TypeReg && st.Nlink > 1 {
			key := inode{uint64(st.Dev), st.Ino}
			if first, ok := links[key]; ok {
				h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			} else {
				links[key] = h.Name
			}
		}
		if !otherFS {
			addXattrs(p, h)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			if err := copyFileBody(tw, p, h.Size); err != nil {
				return err
			}
		}
		if otherFS {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func tarHeader(p, rel string, st *unix.Stat_t) (*tar.Header, error) {
	h := &tar.Header{
		Name:       rel,
		Mode:       int64(st.Mode & 0o7777),
		Uid:        int(st.Uid),
		Gid:        int(st.Gid),
		ModTime:    time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
		AccessTime: time.Unix(st.Atim.Sec, st.Atim.Nsec),
		ChangeTime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec),
		Format:     tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, rel+"/"
	case unix.S_IFLNK:
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		return nil, nil
	}
	return h, nil
}

// addXattrs records extended attributes (capabilities, ACLs, SELinux labels) as PAX records.
func addXattrs(p string, h *tar.Header) {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n <= 0 {
		return
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		val := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(p, name, val)
		if err != nil {
			continue
		}
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords["SCHILY.xattr."+name] = string(val[:m])
	}
}

// copyFileBody writes exactly size bytes of p (padding with zeros if the file shrank meanwhile,
// so the archive stays well-formed).
func copyFileBody(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		debugf("export: %v", err)
		_, err = io.CopyN(w, zeroReader{}, size)
		return err
	}
	defer f.Close()
	n, err := io.CopyN(w, f, size)
	if err != nil && !errors.Is(err, io.EOF) {
		var pathErr *fs.PathError
		if !errors.As(err, &pathErr) {
			return err // the writer failed
		}
	}
	if n < size {
		_, err = io.CopyN(w, zeroReader{}, size-n)
		return err
	}
	return nil
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 0
	}
	return len(b), nil
}
