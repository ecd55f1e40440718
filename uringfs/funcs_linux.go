package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// The package functions below mirror os's: same signatures, same results,
// same errors (*fs.PathError or *os.LinkError with os's Op strings, the name
// as given and the raw syscall.Errno inside). Where io_uring has an opcode
// for the call (openat, statx, read, write, close, mkdirat, unlinkat,
// renameat, symlinkat, linkat) it runs on the loop; the rest (readlink,
// chmod, chown, utimensat, truncate) are plain system calls, as the kernel
// offers no ring operation for them.

// ReadFile reads the named file and returns its contents, like os.ReadFile:
// a successful call returns a nil error, not io.EOF. A file whose name and
// pages are in the kernel's caches is read with system calls on the caller
// that cannot wait for the device; what would wait (a lookup, a page to
// read from the device, a FIFO's data) runs on the loop. Opening a FIFO
// that has no writer can wait on the caller for one, as os.ReadFile's open
// does.
func ReadFile(name string) ([]byte, error) { return ReadFileContext(background, name) }

// ReadFileContext is ReadFile with a context that can cancel the open and
// the reads. On cancellation the error wraps ctx.Err(); as with any read
// error, the bytes read before it are returned with it, as os.ReadFile
// does.
func ReadFileContext(ctx context.Context, name string) ([]byte, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if ctx.Done() == nil {
		if data, ok, err := readFileCached(ctx, l, name); ok {
			return data, err
		}
		if data, ok, err := readFileDirect(l, name); ok {
			return data, err
		}
	}
	return readFilePlain(ctx, l, name)
}

// readFilePlain is ReadFile without the one-chain fast path: open, fstat,
// reads to end of file, close.
func readFilePlain(ctx context.Context, l *sched.Loop, name string) ([]byte, error) {
	fd, err := openFd(ctx, l, unix.AT_FDCWD, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer l.CloseFd(fd)

	// The size is only a hint for the buffer, so a failed stat is not an
	// error, as in os. It is a plain fstat(2), not IORING_OP_STATX: the
	// kernel always hands STATX to an io-wq worker thread, a hand-off that
	// costs more than the rest of a small ReadFile, while fstat on an open
	// descriptor does not wait for I/O.
	var size int64
	var st unix.Stat_t
	if ignoringEINTR(func() error { return unix.Fstat(fd, &st) }) == nil {
		size = st.Size
	}
	data, err := readAll(size, func(b []byte) (int, error) {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = l.Pread(ctx, fd, b, -1)
			return err
		})
		return n, err
	})
	if err != nil {
		return data, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// readAll reads until end of file with a buffer sized from statSize, the
// file's size as stat reports it. Files that report 0 (those in /proc and
// /sys) are read in pieces of at least minRead bytes, since some of them
// misbehave when read a byte at a time. read returns io.EOF with its count
// when it knows the file ends there without another read.
func readAll(statSize int64, read func([]byte) (int, error)) ([]byte, error) {
	const minRead = 512
	size := minRead
	// One byte more than the size, so the read that sees end of file needs
	// no second allocation.
	if statSize > 0 && statSize < int64(^uint(0)>>1) && int(statSize)+1 > size {
		size = int(statSize) + 1
	}
	data := make([]byte, 0, size)
	for {
		n, err := read(data[len(data):cap(data)])
		if n > 0 {
			data = data[:len(data)+n]
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if n == 0 {
			return data, nil
		}
		if free := cap(data) - len(data); free == 0 || (statSize == 0 && free < minRead) {
			data = slices.Grow(data, minRead)
		}
	}
}

// WriteFile writes data to the named file, creating it with perm (before
// umask) if needed and truncating it otherwise, like os.WriteFile. The
// permissions of an existing file are left alone. A failure part way can
// leave the file partly written.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return WriteFileContext(background, name, data, perm)
}

// WriteFileContext is WriteFile with a context that can cancel the open and
// the writes; the file is closed in any case.
func WriteFileContext(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	l, err := loop()
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fd, err := openFd(ctx, l, unix.AT_FDCWD, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, syscallMode(perm))
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	// At least one write is issued, even for empty data, as os does.
	var werr error
	for done := 0; ; {
		var n int
		werr = ignoringEINTR(func() (err error) {
			n, err = l.Pwrite(ctx, fd, data[done:], -1)
			return err
		})
		if werr != nil {
			break
		}
		done += n
		if done == len(data) {
			break
		}
		if n == 0 {
			werr = io.ErrUnexpectedEOF
			break
		}
	}
	if werr != nil {
		werr = &fs.PathError{Op: "write", Path: name, Err: werr}
	}
	if cerr := l.CloseFd(fd); cerr != nil && cerr != unix.EINTR && werr == nil {
		werr = &fs.PathError{Op: "close", Path: name, Err: cerr}
	}
	return werr
}

// openFd opens path relative to dirfd on the loop and returns the bare
// descriptor, for callers that do not need a File.
func openFd(ctx context.Context, l *sched.Loop, dirfd int, path string, flag int, mode uint32) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = l.Openat(ctx, dirfd, path, flag|unix.O_CLOEXEC, mode)
		return err
	})
	return fd, err
}

// pathCall runs fn with the loop, retrying EINTR, and wraps a failure in a
// PathError naming op and name.
func pathCall(op, name string, fn func(l *sched.Loop) error) error {
	l, err := loop()
	if err == nil {
		err = ignoringEINTR(func() error { return fn(l) })
	}
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// linkCall is pathCall for the two-name operations, which fail with a
// LinkError.
func linkCall(op, oldname, newname string, fn func(l *sched.Loop) error) error {
	l, err := loop()
	if err == nil {
		err = ignoringEINTR(func() error { return fn(l) })
	}
	if err != nil {
		return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err}
	}
	return nil
}

// Mkdir creates a directory with perm (before umask), like os.Mkdir
// (IORING_OP_MKDIRAT). Linux's mkdir keeps the sticky bit, so no extra chmod
// is needed for it.
func Mkdir(name string, perm fs.FileMode) error {
	return pathCall("mkdir", name, func(l *sched.Loop) error {
		return l.Mkdirat(background, unix.AT_FDCWD, name, syscallMode(perm))
	})
}

// MkdirAll creates the directory path and any missing parents with perm
// (before umask), like os.MkdirAll. An existing directory is success; an
// existing non-directory fails with syscall.ENOTDIR and Op "mkdir".
func MkdirAll(path string, perm fs.FileMode) error {
	// Most calls find the directory already there: one statx settles it.
	if fi, err := Stat(path); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: path, Err: syscall.ENOTDIR}
	}

	// Otherwise make the parent first. The parent is path without its last
	// element (and the slashes after it).
	i := len(path) - 1
	for i >= 0 && path[i] == '/' {
		i--
	}
	for i >= 0 && path[i] != '/' {
		i--
	}
	if i > 0 {
		if err := MkdirAll(path[:i], perm); err != nil {
			return err
		}
	}

	if err := Mkdir(path, perm); err != nil {
		// A name like "a/." or "a/b/.." fails with EEXIST although it names
		// a directory that is there: that counts as done.
		if fi, lerr := Lstat(path); lerr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}

// Remove removes the named file or empty directory, like os.Remove. Not
// knowing which it is, it tries unlink, then rmdir, and reports the error
// that describes the name: rmdir's, unless rmdir said ENOTDIR (the name is
// not a directory, so unlink's error is the real one).
func Remove(name string) error {
	l, err := loop()
	if err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	e := ignoringEINTR(func() error { return l.Unlinkat(background, unix.AT_FDCWD, name, 0) })
	if e == nil {
		return nil
	}
	e1 := ignoringEINTR(func() error {
		return l.Unlinkat(background, unix.AT_FDCWD, name, unix.AT_REMOVEDIR)
	})
	if e1 == nil {
		return nil
	}
	if e1 != unix.ENOTDIR {
		e = e1
	}
	return &fs.PathError{Op: "remove", Path: name, Err: e}
}

// Rename renames (moves) oldpath to newpath, like os.Rename: an existing
// newpath that is not a directory is replaced; an existing directory at
// newpath is refused with syscall.EEXIST even when it is empty, as os
// refuses it. Errors are *os.LinkError with Op "rename".
func Rename(oldpath, newpath string) error {
	if fi, err := Lstat(newpath); err == nil && fi.IsDir() {
		// Both names could be bad; os reports oldpath's problem first.
		ofi, err := Lstat(oldpath)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
		}
		// Two names for one directory would be a case-only rename on a
		// case-insensitive file system, which is allowed.
		if oldpath == newpath || !sameFile(fi, ofi) {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EEXIST}
		}
	}
	return linkCall("rename", oldpath, newpath, func(l *sched.Loop) error {
		return l.Renameat(background, unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, 0)
	})
}

// sameFile reports whether two FileInfos from this package (or os) describe
// the same file: same device and inode. os.SameFile only knows os's own
// FileInfo type.
func sameFile(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// Symlink creates newname as a symbolic link to oldname, like os.Symlink
// (IORING_OP_SYMLINKAT). Errors are *os.LinkError with Op "symlink".
func Symlink(oldname, newname string) error {
	return linkCall("symlink", oldname, newname, func(l *sched.Loop) error {
		return l.Symlinkat(background, oldname, unix.AT_FDCWD, newname)
	})
}

// Link creates newname as a hard link to oldname, like os.Link
// (IORING_OP_LINKAT). Errors are *os.LinkError with Op "link".
func Link(oldname, newname string) error {
	return linkCall("link", oldname, newname, func(l *sched.Loop) error {
		return l.Linkat(background, unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, 0)
	})
}

// Readlink returns the target of the named symbolic link, unresolved, like
// os.Readlink.
func Readlink(name string) (string, error) {
	s, err := readlinkDir(unix.AT_FDCWD, name)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return s, nil
}

// readlinkDir reads the link name relative to dirfd. readlink(2) truncates
// silently, so a result that fills the buffer is read again with a larger
// one.
func readlinkDir(dirfd int, name string) (string, error) {
	for size := 128; ; size *= 2 {
		b := make([]byte, size)
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = unix.Readlinkat(dirfd, name, b)
			return err
		})
		if err != nil {
			return "", err
		}
		if n < size {
			return string(b[:max(n, 0)]), nil
		}
	}
}

// Chmod changes the mode of the named file, following symlinks, like
// os.Chmod.
func Chmod(name string, mode fs.FileMode) error {
	return pathSyscall("chmod", name, func() error { return unix.Chmod(name, syscallMode(mode)) })
}

// Chown changes the numeric owner and group of the named file, following
// symlinks, like os.Chown; -1 leaves a value unchanged.
func Chown(name string, uid, gid int) error {
	return pathSyscall("chown", name, func() error { return unix.Chown(name, uid, gid) })
}

// Lchown is Chown on a symlink itself, like os.Lchown.
func Lchown(name string, uid, gid int) error {
	return pathSyscall("lchown", name, func() error { return unix.Lchown(name, uid, gid) })
}

// Truncate changes the size of the named file, like os.Truncate.
func Truncate(name string, size int64) error {
	return pathSyscall("truncate", name, func() error { return unix.Truncate(name, size) })
}

// Chtimes changes the access and modification times of the named file,
// following symlinks, like os.Chtimes. A zero time.Time leaves that time
// unchanged.
func Chtimes(name string, atime, mtime time.Time) error {
	ts := [2]unix.Timespec{chtimesSpec(atime), chtimesSpec(mtime)}
	// os does not retry this call on EINTR; neither do we.
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, name, ts[:], 0); err != nil {
		return &fs.PathError{Op: "chtimes", Path: name, Err: err}
	}
	return nil
}

func chtimesSpec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Sec: unix.UTIME_OMIT, Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

// pathSyscall runs a plain system call on name, retrying EINTR.
func pathSyscall(op, name string, fn func() error) error {
	if err := ignoringEINTR(fn); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// ReadDir reads the named directory and returns its entries sorted by name,
// like os.ReadDir. On an error part way it returns the entries read before
// it.
func ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := openAt(background, unix.AT_FDCWD, name, name, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return readDirSorted(f)
}

// readDirSorted reads all of the open directory f, closes it and returns the
// entries sorted by name: the part of ReadDir that Root.FS's ReadDir shares.
func readDirSorted(f *File) ([]fs.DirEntry, error) {
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// RemoveAll removes path and everything under it, like os.RemoveAll: a
// missing path is success, and it removes all it can and returns the first
// error, a *fs.PathError. It walks the tree through directory descriptors
// (unlinkat relative to an open directory), so a concurrent rename of a
// parent cannot redirect it, and it never follows a symlink.
func RemoveAll(path string) error {
	if path == "" {
		// os accepts "" silently, for compatibility.
		return nil
	}
	// rmdir(2) cannot remove ".", and neither can this.
	if path == "." || strings.HasSuffix(path, "/.") {
		return &fs.PathError{Op: "RemoveAll", Path: path, Err: syscall.EINVAL}
	}
	err := Remove(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}

	l, err := loop()
	if err != nil {
		return &fs.PathError{Op: "RemoveAll", Path: path, Err: err}
	}
	parentDir, base := splitParent(path)
	// Plain O_RDONLY, as os: a parent that is a file opens, and the unlinkat
	// below then reports ENOTDIR for the full path.
	parent, err := openFd(background, l, unix.AT_FDCWD, parentDir, os.O_RDONLY, 0)
	if err == unix.ENOENT {
		return nil // no parent, so nothing under it either
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: parentDir, Err: err}
	}
	defer l.CloseFd(parent)
	if err := removeAllAt(l, parent, base); err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			pe.Path = parentDir + "/" + pe.Path
		}
		return err
	}
	return nil
}

// splitParent splits path into the directory holding its last element and
// that element, ignoring trailing slashes and extra leading ones. A path
// with no slash has parent ".".
func splitParent(path string) (dir, base string) {
	for len(path) > 1 && path[0] == '/' && path[1] == '/' {
		path = path[1:]
	}
	for len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	i := strings.LastIndexByte(path[:len(path)-1], '/')
	switch {
	case i < 0:
		return ".", path
	case i == 0:
		return "/", path[1:]
	}
	return path[:i], path[i+1:]
}

// removeAllBatch is how many names RemoveAll reads from a directory before
// removing them and reading again.
const removeAllBatch = 1024

// removeAllAt removes base inside the directory parent and, if base is a
// directory, everything in it, with os's results and errors; RemoveAll and
// Root.RemoveAll both walk with it. base is a single element, opened with
// O_NOFOLLOW, and the walk goes on through the descriptors it opens, so it
// never leaves the tree below parent: inside a Root it stays inside. Error
// paths are relative to parent.
func removeAllAt(l *sched.Loop, parent int, base string) error {
	uerr := ignoringEINTR(func() error { return l.Unlinkat(background, parent, base, 0) })
	if uerr == nil || uerr == unix.ENOENT {
		return nil
	}
	// EISDIR: a directory, empty it first. EPERM or EACCES: perhaps we
	// may not unlink here but base is still a directory worth emptying.
	if uerr != unix.EISDIR && uerr != unix.EPERM && uerr != unix.EACCES {
		return &fs.PathError{Op: "unlinkat", Path: base, Err: uerr}
	}

	var firstErr error
reopen:
	for {
		dfd, err := openFd(background, l, parent, base, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
		symlink := false
		switch err {
		case unix.ELOOP, unix.EMLINK, unix.ENOTDIR:
			_, lerr := readlinkDir(parent, base)
			symlink = lerr == nil
		case unix.EOPNOTSUPP: // the same number as ENOTSUP on Linux
			// Some file systems say this when a path element is not a
			// directory.
			err = unix.ENOTDIR
		}
		switch {
		case err == nil:
		case err == unix.ENOENT:
			return nil
		case symlink:
			// A symlink we may not unlink: the unlink error says why.
			firstErr = &fs.PathError{Op: "openfdat", Path: base, Err: uerr}
			break reopen
		case err == unix.ENOTDIR:
			return &fs.PathError{Op: "unlinkat", Path: base, Err: uerr}
		default:
			firstErr = &fs.PathError{Op: "openfdat", Path: base, Err: err}
			break reopen
		}

		dir := newFile(dfd, base, l, os.O_RDONLY)
		var got int
		for {
			names, rerr := dir.Readdirnames(removeAllBatch)
			if rerr != nil && rerr != io.EOF {
				dir.Close()
				if errors.Is(rerr, fs.ErrNotExist) {
					return nil
				}
				return &fs.PathError{Op: "readdirnames", Path: base, Err: rerr}
			}
			got = len(names)
			failed := 0
			for _, name := range names {
				if err := removeAllAt(l, dfd, name); err != nil {
					if pe, ok := err.(*fs.PathError); ok {
						pe.Path = base + "/" + pe.Path
					}
					failed++
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			// A whole batch that could not be removed would be read again
			// after reopening; move past it instead.
			if failed != removeAllBatch {
				break
			}
		}
		// Removing entries can reorder the directory under an open
		// getdents cursor, skipping names; reopen for a fresh listing.
		dir.Close()
		if got < removeAllBatch {
			break
		}
	}

	rerr := ignoringEINTR(func() error { return l.Unlinkat(background, parent, base, unix.AT_REMOVEDIR) })
	if rerr == nil || rerr == unix.ENOENT {
		return nil
	}
	if firstErr != nil {
		return firstErr
	}
	return &fs.PathError{Op: "unlinkat", Path: base, Err: rerr}
}
