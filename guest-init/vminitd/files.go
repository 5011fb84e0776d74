package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

// checkEnvPath validates a path of a file request: absolute, no NUL, bounded.
func checkEnvPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return status.Errorf(codes.InvalidArgument, "path %q is not absolute", truncate(p, 64))
	}
	if strings.IndexByte(p, 0) >= 0 || len(p) > 4096 {
		return status.Error(codes.InvalidArgument, "path contains a NUL byte or is longer than 4096 bytes")
	}
	return nil
}

func fileError(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return status.Errorf(codes.NotFound, "%s: no such file or directory", p)
	case errors.Is(err, fs.ErrPermission):
		return status.Errorf(codes.PermissionDenied, "%s: permission denied", p)
	case errors.Is(err, unix.ENOTDIR):
		return status.Errorf(codes.FailedPrecondition, "%s: not a directory", p)
	}
	return status.Errorf(codes.Internal, "%s: %s", p, errnoText(err))
}

// hostPathOf resolves p inside root; with noFollow the last component is not followed.
func hostPathOf(root, p string, noFollow bool) (string, error) {
	p = path.Clean(p)
	if !noFollow || p == "/" {
		return resolveIn(root, p)
	}
	dir, err := resolveIn(root, path.Dir(p))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, path.Base(p)), nil
}

func fileInfoOf(p, host string, st *unix.Stat_t) *agentpb.FileInfo {
	fi := &agentpb.FileInfo{
		Path: p, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Size: uint64(st.Size),
		MtimeNanos: st.Mtim.Nano(),
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		fi.LinkTarget, _ = os.Readlink(host)
	}
	return fi
}

func statIn(root string, req *agentpb.StatRequest) (*agentpb.FileInfo, error) {
	if err := checkEnvPath(req.Path); err != nil {
		return nil, err
	}
	host, err := hostPathOf(root, req.Path, req.NoFollow)
	if err != nil {
		return nil, fileError(req.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(host, &st); err != nil {
		return nil, fileError(req.Path, err)
	}
	return fileInfoOf(req.Path, host, &st), nil
}

// copyOut streams one regular file: header, then chunks.
func copyOut(root string, req *agentpb.CopyOutRequest, send func(*agentpb.CopyOutResponse) error) error {
	if err := checkEnvPath(req.Path); err != nil {
		return err
	}
	host, err := resolveIn(root, req.Path)
	if err != nil {
		return fileError(req.Path, err)
	}
	f, err := os.Open(host)
	if err != nil {
		return fileError(req.Path, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileError(req.Path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return status.Errorf(codes.FailedPrecondition, "%s: not a regular file", req.Path)
	}
	if err := send(&agentpb.CopyOutResponse{Kind: &agentpb.CopyOutResponse_Header{Header: fileInfoOf(req.Path, host, &st)}}); err != nil {
		return err
	}
	buf := make([]byte, chunkSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if err := send(&agentpb.CopyOutResponse{Kind: &agentpb.CopyOutResponse_Data{Data: append([]byte(nil), buf[:n]...)}}); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fileError(req.Path, err)
		}
	}
}

// copyIn writes one regular file from a header and data chunks, atomically: a temporary file in
// the target's directory, renamed over the target when the stream ends without error.
func copyIn(root string, recv func() (*agentpb.CopyInRequest, error)) (uint64, error) {
	first, err := recv()
	if err != nil {
		return 0, err
	}
	h := first.GetHeader()
	if h == nil {
		return 0, status.Error(codes.InvalidArgument, "the first CopyIn request must be header")
	}
	if err := checkEnvPath(h.Path); err != nil {
		return 0, err
	}
	p := path.Clean(h.Path)
	if p == "/" {
		return 0, status.Error(codes.InvalidArgument, "cannot write to /")
	}
	// An existing target is followed if it is a symlink; a new one lands in its directory.
	target, err := resolveIn(root, p)
	if errors.Is(err, fs.ErrNotExist) {
		var dir string
		if dir, err = resolveIn(root, path.Dir(p)); err == nil {
			target = filepath.Join(dir, path.Base(p))
		}
	}
	if err != nil {
		return 0, fileError(path.Dir(p), err)
	}
	if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
		return 0, status.Errorf(codes.FailedPrecondition, "%s: exists and is not a regular file", p)
	}
	mode := os.FileMode(h.Mode & 0o7777)
	if mode == 0 {
		mode = 0o644
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".vminitd-*")
	if err != nil {
		return 0, fileError(path.Dir(p), err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var n uint64
	for {
		req, err := recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		data := req.GetData()
		if data == nil {
			if req.GetHeader() != nil {
				return 0, status.Error(codes.InvalidArgument, "CopyIn: a second header")
			}
			continue
		}
		if _, err := f.Write(data); err != nil {
			return 0, fileError(p, err)
		}
		n += uint64(len(data))
	}
	if err := f.Chown(int(h.Uid), int(h.Gid)); err != nil {
		return 0, fileError(p, err)
	}
	if err := unix.Fchmod(int(f.Fd()), uint32(mode)); err != nil {
		return 0, fileError(p, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fileError(p, err)
	}
	if err := f.Close(); err != nil {
		return 0, fileError(p, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		done = true
		return 0, fileError(p, err)
	}
	done = true
	return n, nil
}
