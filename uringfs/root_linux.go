// This file holds the Root type: opening a Root, its lifetime (each running
// method holds a reference on the descriptor, which Close releases after the
// last one), and one method per method of os.Root. A method resolves its
// name with the resolver in root_resolve_linux.go or, where the kernel has no
// openat2, hands the call to os.Root (root_fallback_linux.go).

package uringfs

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// Root gives access to the files beneath one directory, like os.Root, with
// the same methods, results and errors. Paths are resolved by the kernel with
// openat2(2) and RESOLVE_BENEATH relative to the root's descriptor
// (IORING_OP_OPENAT2 on the loop): no "..", absolute path, symbolic link or
// /proc magic link can lead outside, also when the tree changes while a
// method runs. Open, Stat, Chmod and the like resolve the whole name in one
// openat2 and act on the descriptor it returns; Mkdir, Remove, Rename, Link
// and Symlink open the parent directory that way and act on the last
// element. An escape is reported as os.Root reports it: a *fs.PathError
// whose Err is os's own "path escapes from parent" error.
//
// Differences from os.Root: the kernel follows up to 40 symbolic links in a
// name where os.Root stops at 8, and Chmod, Chown and Chtimes act on the
// file a final symbolic link resolves to without the race os.Root documents.
// Where openat2 is missing (Linux before 5.6) or refused by a seccomp filter,
// a Root runs on os.Root, and files it opens are handed to the loop.
//
// Methods are safe for concurrent use. Files opened through a Root are
// *File values on the loop.
type Root struct {
	r *root
}

type root struct {
	name string
	loop *sched.Loop
	// osr is set when the kernel has no openat2 (before Linux 5.6, or a
	// seccomp filter refuses it): then the Root runs on os.Root.
	osr *os.Root

	// fd is released when the Root is closed and no method holds a
	// reference on state.
	fd      int
	state   fdState
	cleanup runtime.Cleanup
}

// OpenRoot opens the named directory as a Root, like os.OpenRoot. It follows
// symbolic links in name. Errors are *fs.PathError.
func OpenRoot(name string) (*Root, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var fd int
	err = ignoringEINTR(func() (err error) {
		// O_NONBLOCK: a FIFO must not block an open that is bound to fail.
		fd, err = l.Openat(background, unix.AT_FDCWD, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r, err := newRoot(l, fd, name)
	if err == nil && !r.openat2Works() {
		r.Close()
		osr, err := os.OpenRoot(name)
		if err != nil {
			return nil, err
		}
		return newOSRoot(l, osr), nil
	}
	return r, err
}

// OpenInRoot opens name beneath the directory dir for reading, like
// os.OpenInRoot: OpenRoot(dir) followed by Root.Open(name).
func OpenInRoot(dir, name string) (*File, error) {
	r, err := OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Open(name)
}

// newRoot takes ownership of fd and makes it a Root if it is a directory.
func newRoot(l *sched.Loop, fd int, name string) (*Root, error) {
	var st unix.Statx_t
	err := ignoringEINTR(func() error {
		return l.Statx(background, fd, "", unix.AT_EMPTY_PATH, unix.STATX_TYPE, &st)
	})
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a directory")}
	}
	r := &Root{&root{name: name, loop: l, fd: fd}}
	r.r.cleanup = runtime.AddCleanup(r, func(inner *root) { inner.close() }, r.r)
	return r, nil
}

// Name returns the name given to OpenRoot; it works after Close.
func (r *Root) Name() string { return r.r.name }

// Close closes the Root. Methods called afterwards fail with an error
// wrapping os.ErrClosed; methods still running finish first, and the
// descriptor is released when the last of them returns. Close returns nil,
// also when called again, as os.Root's does.
func (r *Root) Close() error {
	r.r.cleanup.Stop()
	return r.r.close()
}

// close does not wait for running methods, as os.Root's does not: one can
// wait as long as it likes (opening a FIFO waits for the other end). The
// last of them releases the descriptor instead.
func (rt *root) close() error {
	if rt.osr != nil {
		return rt.osr.Close()
	}
	first, busy := rt.state.markClosed()
	if first && (!busy || !rt.state.deferRelease()) {
		unix.Close(rt.fd)
	}
	return nil
}

// incref takes a reference on the descriptor for one method.
func (rt *root) incref() error {
	if !rt.state.incref() {
		return os.ErrClosed
	}
	return nil
}

// decref drops a method's reference, releasing the descriptor if Close
// left that to it.
func (rt *root) decref() {
	if rt.state.decref() {
		unix.Close(rt.fd)
	}
}

// enter takes a reference for one method and validates name as os.Root
// does: closed first, then an empty or absolute name.
func (r *Root) enter(name string) error {
	if err := r.r.incref(); err != nil {
		return err
	}
	if err := rootCheckName(name); err != nil {
		r.r.decref()
		return err
	}
	return nil
}

// rootJoinPath joins a Root's name and a name inside it, as os names the
// files a Root opens.
func rootJoinPath(dir, name string) string {
	if len(dir) > 0 && dir[len(dir)-1] == '/' {
		return dir + name
	}
	return dir + "/" + name
}

// Open opens the named file in the root for reading, like os.Root.Open.
func (r *Root) Open(name string) (*File, error) { return r.OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file in the root, like
// os.Root.Create.
func (r *Root) Create(name string) (*File, error) {
	return r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file in the root with flag and perm, like
// os.Root.OpenFile: perm may hold only permission bits, and symbolic links
// are followed only while they stay inside the root. The open is one
// IORING_OP_OPENAT2 with RESOLVE_BENEATH.
func (r *Root) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	if perm&0o777 != perm {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: errors.New("unsupported file mode")}
	}
	if o := r.r.osr; o != nil {
		f, err := o.OpenFile(name, flag, perm)
		return r.adopt(f, err, flag)
	}
	if err := r.enter(name); err != nil {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	defer r.r.decref()
	// os.Root follows a final symlink that stays inside even when asked
	// for O_NOFOLLOW; so do we.
	fd, err := r.openat2(name, flag&^unix.O_NOFOLLOW, uint32(perm))
	if err == unix.EISDIR && flag&os.O_CREATE != 0 && rootEndsInSlash(name) {
		// The kernel refuses to create "name/"; os.Root looks the name up
		// first: missing, it says so; existing, O_EXCL says it exists.
		if pfd, perr := r.openPath(name, false); perr != nil {
			err = perr
		} else {
			unix.Close(pfd)
			if flag&os.O_EXCL != 0 {
				err = unix.EEXIST
			}
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	f := newOpenedFile(fd, rootJoinPath(r.r.name, name), r.r.loop, flag)
	f.inRoot = true
	return f, nil
}

func rootEndsInSlash(name string) bool { return len(name) > 0 && name[len(name)-1] == '/' }

// OpenRoot opens the named directory in the root as a Root, like
// os.Root.OpenRoot.
func (r *Root) OpenRoot(name string) (*Root, error) {
	if o := r.r.osr; o != nil {
		sub, err := o.OpenRoot(name)
		if err != nil {
			return nil, err
		}
		return newOSRoot(r.r.loop, sub), nil
	}
	if err := r.enter(name); err != nil {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	defer r.r.decref()
	fd, err := r.openat2(name, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	return newRoot(r.r.loop, fd, rootJoinPath(r.r.name, name))
}

// Stat returns the FileInfo of the named file in the root, following
// symbolic links that stay inside, like os.Root.Stat.
func (r *Root) Stat(name string) (fs.FileInfo, error) { return r.stat(name, false) }

// Lstat is Stat without following a final symbolic link, like
// os.Root.Lstat.
func (r *Root) Lstat(name string) (fs.FileInfo, error) { return r.stat(name, true) }

func (r *Root) stat(name string, lstat bool) (fs.FileInfo, error) {
	if o := r.r.osr; o != nil {
		if lstat {
			return o.Lstat(name)
		}
		return o.Stat(name)
	}
	if err := r.enter(name); err != nil {
		return nil, &fs.PathError{Op: "statat", Path: name, Err: err}
	}
	defer r.r.decref()
	fd, err := r.openPath(name, lstat)
	if err != nil {
		return nil, &fs.PathError{Op: "statat", Path: name, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Statx_t
	if err := r.statx(fd, "", 0, &st); err != nil {
		return nil, &fs.PathError{Op: "statat", Path: name, Err: err}
	}
	return newFileInfo(basename(name), &st), nil
}

// Readlink returns the target of the named symbolic link in the root, like
// os.Root.Readlink.
func (r *Root) Readlink(name string) (string, error) {
	if o := r.r.osr; o != nil {
		return o.Readlink(name)
	}
	if err := r.enter(name); err != nil {
		return "", &fs.PathError{Op: "readlinkat", Path: name, Err: err}
	}
	defer r.r.decref()
	fd, err := r.openPath(name, true)
	if err != nil {
		return "", &fs.PathError{Op: "readlinkat", Path: name, Err: err}
	}
	defer unix.Close(fd)
	target, err := readlinkDir(fd, "")
	if err == unix.ENOENT {
		// readlinkat(fd, "") on anything but a link: os.Root's readlinkat
		// of the name says EINVAL there.
		err = unix.EINVAL
	}
	if err != nil {
		return "", &fs.PathError{Op: "readlinkat", Path: name, Err: err}
	}
	return target, nil
}

// Chmod changes the mode of the named file in the root, following symbolic
// links that stay inside, like os.Root.Chmod.
func (r *Root) Chmod(name string, mode fs.FileMode) error {
	if o := r.r.osr; o != nil {
		return o.Chmod(name, mode)
	}
	return r.onFile("chmodat", name, false, func(fd int) error {
		m := syscallMode(mode)
		err := unix.Fchmodat(fd, "", m, unix.AT_EMPTY_PATH)
		if err == unix.EOPNOTSUPP || err == unix.ENOSYS || err == unix.EINVAL {
			// No fchmodat2 (before Linux 6.6): go through the descriptor's
			// /proc link, which names exactly the file resolved.
			err = unix.Fchmodat(unix.AT_FDCWD, rootProcFd(fd), m, 0)
		}
		return err
	})
}

// Chown changes the owner of the named file in the root, following symbolic
// links that stay inside, like os.Root.Chown.
func (r *Root) Chown(name string, uid, gid int) error {
	if o := r.r.osr; o != nil {
		return o.Chown(name, uid, gid)
	}
	return r.onFile("chownat", name, false, func(fd int) error {
		return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH)
	})
}

// Lchown changes the owner of the named file in the root without following
// a final symbolic link, like os.Root.Lchown.
func (r *Root) Lchown(name string, uid, gid int) error {
	if o := r.r.osr; o != nil {
		return o.Lchown(name, uid, gid)
	}
	return r.onFile("lchownat", name, true, func(fd int) error {
		return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH)
	})
}

// Chtimes changes the access and modification times of the named file in
// the root, like os.Root.Chtimes; a zero time.Time leaves that time as it
// is.
func (r *Root) Chtimes(name string, atime, mtime time.Time) error {
	if o := r.r.osr; o != nil {
		return o.Chtimes(name, atime, mtime)
	}
	return r.onFile("chtimesat", name, false, func(fd int) error {
		ts := []unix.Timespec{chtimesSpec(atime), chtimesSpec(mtime)}
		err := unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
		if err == unix.EINVAL {
			// Kernels without AT_EMPTY_PATH for utimensat.
			err = unix.UtimesNanoAt(unix.AT_FDCWD, rootProcFd(fd), ts, 0)
		}
		return err
	})
}

func rootProcFd(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// Mkdir creates a directory in the root, like os.Root.Mkdir; perm may hold
// only permission bits.
func (r *Root) Mkdir(name string, perm fs.FileMode) error {
	if o := r.r.osr; o != nil {
		return o.Mkdir(name, perm)
	}
	if perm&0o777 != perm {
		return &fs.PathError{Op: "mkdirat", Path: name, Err: errors.New("unsupported file mode")}
	}
	err := r.atParent(name, rootNoTerminalSlash|rootCreatingDir, func(dirfd int, last string) error {
		return r.mkdirat(dirfd, last, perm)
	})
	if err != nil {
		return &fs.PathError{Op: "mkdirat", Path: name, Err: err}
	}
	return nil
}

func (r *Root) mkdirat(dirfd int, name string, perm fs.FileMode) error {
	return ignoringEINTR(func() error {
		return r.r.loop.Mkdirat(background, dirfd, name, syscallMode(perm))
	})
}

func (r *Root) unlinkat(dirfd int, name string, flags int) error {
	return ignoringEINTR(func() error {
		return r.r.loop.Unlinkat(background, dirfd, name, flags)
	})
}

// Remove removes the named file or empty directory in the root, like
// os.Root.Remove.
func (r *Root) Remove(name string) error {
	if o := r.r.osr; o != nil {
		return o.Remove(name)
	}
	err := r.atParent(name, 0, func(dirfd int, last string) error {
		// Which of unlink and rmdir applies is unknown: try both, and
		// report as os does.
		e := r.unlinkat(dirfd, last, 0)
		if e == nil {
			return nil
		}
		e1 := r.unlinkat(dirfd, last, unix.AT_REMOVEDIR)
		if e1 == nil {
			return nil
		}
		if e1 != unix.ENOTDIR {
			return e1
		}
		return e
	})
	if err != nil {
		return &fs.PathError{Op: "removeat", Path: name, Err: err}
	}
	return nil
}

// Rename renames oldname to newname, both in the root, like os.Root.Rename:
// an existing directory is not replaced.
func (r *Root) Rename(oldname, newname string) error {
	if o := r.r.osr; o != nil {
		return o.Rename(oldname, newname)
	}
	err := r.twoNames(oldname, newname, rootCreatingDir, func(oldfd int, oldlast string, newfd int, newlast string) error {
		if rootEndsInSlash(newname) {
			var st unix.Statx_t
			if err := r.statx(oldfd, oldlast, unix.AT_SYMLINK_NOFOLLOW, &st); err != nil {
				return err
			}
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return unix.ENOTDIR
			}
		}
		var nst unix.Statx_t
		if r.statx(newfd, newlast, unix.AT_SYMLINK_NOFOLLOW, &nst) == nil && nst.Mode&unix.S_IFMT == unix.S_IFDIR {
			var ost unix.Statx_t
			if err := r.statx(oldfd, oldlast, unix.AT_SYMLINK_NOFOLLOW, &ost); err != nil {
				return err
			}
			if newlast == oldlast || !rootSameStatx(&nst, &ost) {
				return unix.EEXIST
			}
		}
		return ignoringEINTR(func() error {
			return r.r.loop.Renameat(background, oldfd, oldlast, newfd, newlast, 0)
		})
	})
	if err != nil {
		return &os.LinkError{Op: "renameat", Old: oldname, New: newname, Err: err}
	}
	return nil
}

// Link creates newname as a hard link to oldname, both in the root, like
// os.Root.Link. A symbolic link oldname is linked itself, not its target.
func (r *Root) Link(oldname, newname string) error {
	if o := r.r.osr; o != nil {
		return o.Link(oldname, newname)
	}
	err := r.twoNames(oldname, newname, 0, func(oldfd int, oldlast string, newfd int, newlast string) error {
		return ignoringEINTR(func() error {
			return r.r.loop.Linkat(background, oldfd, oldlast, newfd, newlast, 0)
		})
	})
	if err != nil {
		return &os.LinkError{Op: "linkat", Old: oldname, New: newname, Err: err}
	}
	return nil
}

// Symlink creates newname in the root as a symbolic link to oldname, like
// os.Root.Symlink. oldname is not checked: the link may point anywhere, but
// the Root will not follow it outside.
func (r *Root) Symlink(oldname, newname string) error {
	if o := r.r.osr; o != nil {
		return o.Symlink(oldname, newname)
	}
	err := r.atParent(newname, 0, func(dirfd int, last string) error {
		return ignoringEINTR(func() error {
			return r.r.loop.Symlinkat(background, oldname, dirfd, last)
		})
	})
	if err != nil {
		return &os.LinkError{Op: "symlinkat", Old: oldname, New: newname, Err: err}
	}
	return nil
}

// MkdirAll creates a directory in the root with any missing parents, like
// os.Root.MkdirAll; perm may hold only permission bits.
func (r *Root) MkdirAll(name string, perm fs.FileMode) error {
	if o := r.r.osr; o != nil {
		return o.MkdirAll(name, perm)
	}
	if perm&0o777 != perm {
		return &fs.PathError{Op: "mkdirat", Path: name, Err: errors.New("unsupported file mode")}
	}
	if err := r.r.incref(); err != nil {
		return &fs.PathError{Op: "mkdirat", Path: name, Err: err}
	}
	defer r.r.decref()
	err := r.mkdirAll(name, perm)
	if _, ok := err.(*fs.PathError); !ok && err != nil {
		err = &fs.PathError{Op: "mkdirat", Path: name, Err: err}
	}
	return err
}

// RemoveAll removes the named file or directory in the root and everything
// in it, like os.Root.RemoveAll. A name that does not exist is not an error.
func (r *Root) RemoveAll(name string) error {
	if o := r.r.osr; o != nil {
		return o.RemoveAll(name)
	}
	for len(name) > 0 && name[len(name)-1] == '/' {
		name = name[:len(name)-1]
	}
	if name == "." || (len(name) >= 2 && name[len(name)-1] == '.' && name[len(name)-2] == '/') {
		// rmdir(2) cannot remove ".", and os does not try.
		return &fs.PathError{Op: "RemoveAll", Path: name, Err: unix.EINVAL}
	}
	err := r.atParent(name, 0, func(dirfd int, last string) error {
		return removeAllAt(r.r.loop, dirfd, last)
	})
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: "RemoveAll", Path: name, Err: err}
}

// ReadFile reads the named file in the root, like os.Root.ReadFile.
func (r *Root) ReadFile(name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The size only sizes the buffer, as in os.Root.ReadFile.
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return readAll(size, f.Read)
}

// WriteFile writes data to the named file in the root, creating it with perm
// or truncating it, like os.Root.WriteFile.
func (r *Root) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}
