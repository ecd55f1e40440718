package uringfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
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

	// fd is released when the Root is closed and no method is using it.
	mu      sync.Mutex
	fd      int
	refs    int
	closed  bool
	cleanup runtime.Cleanup
}

const (
	// rootMaxSymlinks bounds the links this package resolves itself (those
	// named by a path ending in a slash, and those MkdirAll meets), as
	// os.Root bounds all of them.
	rootMaxSymlinks = 8
	// rootMaxRetries bounds retries of an openat2 the kernel refused with
	// EAGAIN because a rename raced with a ".." lookup.
	rootMaxRetries = 1000
)

// rootErrPathEscapes returns the error os.Root reports for an escape. It is
// os's own value, taken from an os.Root, so that errors.Is agrees between
// the two; should that fail, an error with the same text stands in.
var rootErrPathEscapes = sync.OnceValue(func() error {
	if r, err := os.OpenRoot("/"); err == nil {
		defer r.Close()
		var pe *fs.PathError
		if _, err := r.Lstat("/"); errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" {
			return pe.Err
		}
	}
	return errors.New("path escapes from parent")
})

// rootErrEmptyPath is os.Root's error for an empty name; os does not export
// its value, so only the text can match.
var rootErrEmptyPath = errors.New("empty path")

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

// rootForceOS makes OpenRoot take the os.Root fallback; tests set it.
var rootForceOS atomic.Bool

// openat2Works probes openat2 with RESOLVE_BENEATH on the root.
func (r *Root) openat2Works() bool {
	if rootForceOS.Load() {
		return false
	}
	fd, err := r.openat2(".", unix.O_PATH, 0)
	if err == nil {
		unix.Close(fd)
		return true
	}
	// ENOSYS: too old a kernel. EPERM: a seccomp filter that predates
	// openat2. Anything else is not about openat2 itself.
	return err != unix.ENOSYS && err != unix.EPERM
}

func newOSRoot(l *sched.Loop, osr *os.Root) *Root {
	return &Root{&root{name: osr.Name(), loop: l, osr: osr, fd: -1}}
}

// adopt turns a file os.Root opened into a *File on the loop.
func (r *Root) adopt(f *os.File, err error, flag int) (*File, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	cerr := sc.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: f.Name(), Err: err}
	}
	nf := newOpenedFile(fd, f.Name(), r.r.loop, flag)
	nf.inRoot = true
	return nf, nil
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

func (rt *root) close() error {
	if rt.osr != nil {
		return rt.osr.Close()
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.closed && rt.refs == 0 {
		unix.Close(rt.fd)
	}
	rt.closed = true
	return nil
}

func (rt *root) incref() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return os.ErrClosed
	}
	rt.refs++
	return nil
}

func (rt *root) decref() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.refs--
	if rt.closed && rt.refs == 0 {
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

func rootCheckName(name string) error {
	if name == "" {
		return rootErrEmptyPath
	}
	if name[0] == '/' {
		return rootErrPathEscapes()
	}
	return nil
}

// openat2 opens path beneath the root. The kernel's EXDEV, its word for an
// escape, becomes os.Root's error.
func (r *Root) openat2(path string, flags int, mode uint32) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: unix.RESOLVE_BENEATH}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
		// openat2 insists on a zero mode unless a file may be created.
		how.Mode = uint64(mode)
	}
	for tries := 0; ; tries++ {
		fd, err := r.r.loop.Openat2(background, r.r.fd, path, &how)
		switch err {
		case nil:
			return fd, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			// A concurrent rename made the kernel unsure that ".." stayed
			// beneath the root; openat2(2) says to try again.
			if tries < rootMaxRetries {
				runtime.Gosched()
				continue
			}
		case unix.EXDEV:
			return -1, rootErrPathEscapes()
		}
		return -1, err
	}
}

// openPath opens path as an O_PATH descriptor, following a final symlink
// unless nofollow (a trailing slash follows it anyway, as in os.Root).
func (r *Root) openPath(path string, nofollow bool) (int, error) {
	flags := unix.O_PATH
	if nofollow {
		flags |= unix.O_NOFOLLOW
	}
	return r.openat2(path, flags, 0)
}

// closeDir releases a directory descriptor from resolveParent.
func (r *Root) closeDir(fd int) {
	if fd != r.r.fd {
		unix.Close(fd)
	}
}

func (r *Root) statx(dirfd int, path string, flags int, st *unix.Statx_t) error {
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	return ignoringEINTR(func() error {
		return r.r.loop.Statx(background, dirfd, path, flags, statxMask, st)
	})
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
		ts := []unix.Timespec{rootTimespec(atime), rootTimespec(mtime)}
		err := unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
		if err == unix.EINVAL {
			// Kernels without AT_EMPTY_PATH for utimensat.
			err = unix.UtimesNanoAt(unix.AT_FDCWD, rootProcFd(fd), ts, 0)
		}
		return err
	})
}

func rootTimespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Sec: unix.UTIME_OMIT, Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

func rootProcFd(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// onFile resolves name beneath the root to an O_PATH descriptor and runs fn
// on it: the file acted on is the one the kernel resolved, not a name that
// could be swapped in between.
func (r *Root) onFile(op, name string, nofollow bool, fn func(fd int) error) error {
	if err := r.enter(name); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	defer r.r.decref()
	fd, err := r.openPath(name, nofollow)
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	defer unix.Close(fd)
	if err := ignoringEINTR(func() error { return fn(fd) }); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// Flags for resolveParent.
const (
	// rootNoTerminalSlash passes over a trailing slash: the operation
	// applies to the last element whatever it is (mkdir on Linux).
	rootNoTerminalSlash = 1 << iota
	// rootCreatingDir lets a path ending in a slash name a missing element.
	rootCreatingDir
)

// rootSplit splits a name into elements as os.Root does: "." elements are
// dropped except at the end, and endsInSlash reports trailing slashes.
// The elements of prefix come first in parts.
func rootSplit(s string, prefix []string) (parts []string, endsInSlash bool, err error) {
	if err := rootCheckName(s); err != nil {
		return nil, false, err
	}
	parts = append([]string(nil), prefix...)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '/' {
			j++
		}
		elem := s[i:j]
		for j < len(s) && s[j] == '/' {
			j++
		}
		if j == len(s) {
			parts = append(parts, elem)
			endsInSlash = j > i+len(elem)
			break
		}
		if elem != "." {
			parts = append(parts, elem)
		}
		i = j
	}
	return parts, endsInSlash, nil
}

func rootJoinParts(parts []string) string {
	if len(parts) == 0 {
		return "."
	}
	s := parts[0]
	for _, p := range parts[1:] {
		s += "/" + p
	}
	return s
}

// resolveParent opens, beneath the root, the directory that holds the last
// element of name and returns it (release with closeDir) with that
// element's name. A path ending in a slash is checked as os.Root checks it:
// the element must be a directory or a symbolic link, which is then
// resolved; see the flags.
func (r *Root) resolveParent(name string, flags int) (dirfd int, last string, err error) {
	parts, endsInSlash, err := rootSplit(name, nil)
	if err != nil {
		return -1, "", err
	}
	for links := 0; ; {
		last = parts[len(parts)-1]
		if last == ".." {
			dirfd, last, err = r.dotdotParent(rootJoinParts(parts))
		} else {
			dirfd, err = r.openat2(rootJoinParts(parts[:len(parts)-1]), unix.O_PATH|unix.O_DIRECTORY, 0)
		}
		if err != nil {
			return -1, "", err
		}
		if !endsInSlash || flags&rootNoTerminalSlash != 0 {
			return dirfd, last, nil
		}
		var st unix.Statx_t
		err = r.statx(dirfd, last, unix.AT_SYMLINK_NOFOLLOW, &st)
		switch {
		case err == unix.ENOENT && flags&rootCreatingDir != 0:
			return dirfd, last, nil
		case err != nil:
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			return dirfd, last, nil
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			var target string
			target, err = readlinkDir(dirfd, last)
			if err != nil {
				err = unix.ENOTDIR
				break
			}
			if links++; links > rootMaxSymlinks {
				err = unix.ELOOP
				break
			}
			r.closeDir(dirfd)
			if parts, _, err = rootSplit(target, parts[:len(parts)-1]); err != nil {
				return -1, "", err
			}
			continue
		default:
			err = unix.ENOTDIR
		}
		r.closeDir(dirfd)
		return -1, "", err
	}
}

// dotdotParent handles a name whose last element is "..": os.Root applies
// the operation to the directory it names, as an entry of that directory's
// parent. The kernel resolves the directory; its entry is found by inode.
func (r *Root) dotdotParent(path string) (dirfd int, name string, err error) {
	dfd, err := r.openPath(path, false)
	if err != nil {
		return -1, "", err
	}
	defer unix.Close(dfd)
	var dst, rst unix.Statx_t
	if err := r.statx(dfd, "", 0, &dst); err != nil {
		return -1, "", err
	}
	if err := r.statx(r.r.fd, "", 0, &rst); err != nil {
		return -1, "", err
	}
	if rootSameStatx(&dst, &rst) {
		return r.r.fd, ".", nil
	}
	pfd, err := r.openat2(path+"/..", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, "", err
	}
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(pfd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			unix.Close(pfd)
			if err == nil {
				err = unix.ENOENT // renamed away meanwhile
			}
			return -1, "", err
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, nm := range names {
			var st unix.Statx_t
			if r.statx(pfd, nm, unix.AT_SYMLINK_NOFOLLOW, &st) == nil && rootSameStatx(&st, &dst) {
				return pfd, nm, nil
			}
		}
	}
}

func rootSameStatx(a, b *unix.Statx_t) bool {
	return a.Ino == b.Ino && a.Dev_major == b.Dev_major && a.Dev_minor == b.Dev_minor
}

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

// atParent runs fn on the directory holding name's last element.
func (r *Root) atParent(name string, flags int, fn func(dirfd int, last string) error) error {
	if err := r.r.incref(); err != nil {
		return err
	}
	defer r.r.decref()
	dirfd, last, err := r.resolveParent(name, flags)
	if err != nil {
		return err
	}
	defer r.closeDir(dirfd)
	return fn(dirfd, last)
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

// twoNames resolves the parents of oldname and newname and runs fn on them.
func (r *Root) twoNames(oldname, newname string, newFlags int, fn func(oldfd int, oldlast string, newfd int, newlast string) error) error {
	return r.atParent(oldname, 0, func(oldfd int, oldlast string) error {
		newfd, newlast, err := r.resolveParent(newname, newFlags)
		if err != nil {
			return err
		}
		defer r.closeDir(newfd)
		return fn(oldfd, oldlast, newfd, newlast)
	})
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

// mkdirAll walks name one element at a time, as os.Root does, so that it
// can create what is missing and report errors under the path os.Root
// names: symbolic links spliced in, ".." taken away. Each step opens a
// single element relative to a directory already beneath the root,
// refusing symbolic links (RESOLVE_NO_SYMLINKS), which the walk resolves
// itself; ".." restarts from the root, so nothing leads outside.
func (r *Root) mkdirAll(fullname string, perm fs.FileMode) error {
	parts, _, err := rootSplit(fullname, nil)
	if err != nil {
		return err
	}
	dirfd := r.r.fd
	defer func() { r.closeDir(dirfd) }()
	links := 0
	for i := 0; ; {
		if parts[i] == ".." {
			end := i + 1
			for end < len(parts) && parts[end] == ".." {
				end++
			}
			n := end - i
			if n > i {
				return rootErrPathEscapes()
			}
			parts = append(parts[:i-n], parts[end:]...)
			if len(parts) == 0 {
				parts = []string{"."}
			}
			r.closeDir(dirfd)
			dirfd, i = r.r.fd, 0
			continue
		}
		if i == len(parts)-1 {
			break
		}
		fd, err := r.openStep(dirfd, parts[i])
		if err == unix.ENOENT {
			if err := r.mkdirat(dirfd, parts[i], perm); err != nil && err != unix.EEXIST {
				return &fs.PathError{Op: "mkdirat", Path: rootJoinParts(parts[:i+1]), Err: err}
			}
			fd, err = r.openStep(dirfd, parts[i])
		}
		if err == unix.ENOTDIR || err == unix.ELOOP {
			if target, lerr := readlinkDir(dirfd, parts[i]); lerr == nil {
				if links++; links > rootMaxSymlinks {
					return unix.ELOOP
				}
				rest := parts[i+1:]
				if parts, _, err = rootSplit(target, parts[:i]); err != nil {
					return err
				}
				parts = append(parts, rest...)
				continue
			}
		}
		if err != nil {
			return &fs.PathError{Op: "openat", Path: rootJoinParts(parts[:i+1]), Err: err}
		}
		r.closeDir(dirfd)
		dirfd = fd
		i++
	}
	last := parts[len(parts)-1]
	err = r.mkdirat(dirfd, last, perm)
	if err == unix.EEXIST {
		var st unix.Statx_t
		if r.statx(dirfd, last, unix.AT_SYMLINK_NOFOLLOW, &st) == nil {
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFDIR:
				err = nil
			case unix.S_IFLNK:
				// Succeed if the link leads to a directory, as
				// os.MkdirAll does; do not create its target.
				fi, e := r.Stat(fullname)
				if e == nil && fi.IsDir() {
					err = nil
				} else if e == nil {
					err = unix.ENOTDIR
				} else if !errors.Is(e, fs.ErrNotExist) {
					err = e
				}
			}
		}
	}
	if err != nil {
		return &fs.PathError{Op: "mkdirat", Path: rootJoinParts(parts), Err: err}
	}
	return nil
}

// openStep opens the single element name of dirfd as a directory, without
// following a symbolic link.
func (r *Root) openStep(dirfd int, name string) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS,
	}
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = r.r.loop.Openat2(background, dirfd, name, &how)
		return err
	})
	if err == unix.EXDEV {
		err = rootErrPathEscapes()
	}
	return fd, err
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
		return r.removeAllFrom(dirfd, last)
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

// removeAllFrom removes base, a single element, from the directory parent,
// depth first. base never holds a slash and is opened with O_NOFOLLOW, so
// the walk cannot leave the tree.
func (r *Root) removeAllFrom(parent int, base string) error {
	err := r.unlinkat(parent, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	// EISDIR: a directory to empty first. EPERM, EACCES: perhaps a
	// directory whose entries can still go.
	if err != unix.EISDIR && err != unix.EPERM && err != unix.EACCES {
		return &fs.PathError{Op: "unlinkat", Path: base, Err: err}
	}
	uErr := err
	var recurseErr error
	for {
		const batch = 1024
		var fd int
		err := ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(parent, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return err
		})
		if err != nil {
			if err == unix.ENOENT {
				return nil
			}
			if err == unix.ENOTDIR || err == unix.ELOOP {
				if _, lerr := readlinkDir(parent, base); lerr == nil {
					err = uErr // a symbolic link, which unlink refused
				} else if err == unix.ENOTDIR {
					return &fs.PathError{Op: "unlinkat", Path: base, Err: uErr}
				}
			}
			recurseErr = &fs.PathError{Op: "openfdat", Path: base, Err: err}
			break
		}
		dir := newFile(fd, base, r.r.loop, false)
		var got int
		for {
			names, rerr := dir.Readdirnames(batch)
			if rerr != nil && rerr != io.EOF {
				dir.Close()
				if errors.Is(rerr, fs.ErrNotExist) {
					return nil
				}
				return &fs.PathError{Op: "readdirnames", Path: base, Err: rerr}
			}
			got = len(names)
			failed := 0
			for _, nm := range names {
				if err := r.removeAllFrom(dir.fd, nm); err != nil {
					if pe, ok := err.(*fs.PathError); ok {
						pe.Path = base + "/" + pe.Path
					}
					failed++
					if recurseErr == nil {
						recurseErr = err
					}
				}
			}
			// A whole batch that could not be removed: read on, or we
			// would see the same names forever.
			if failed != batch {
				break
			}
		}
		// Removing entries may reorder the directory: reopen it rather
		// than read on and risk skipping some.
		dir.Close()
		if got < batch {
			break
		}
	}
	err = r.unlinkat(parent, base, unix.AT_REMOVEDIR)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if recurseErr != nil {
		return recurseErr
	}
	return &fs.PathError{Op: "unlinkat", Path: base, Err: err}
}

// ReadFile reads the named file in the root, like os.Root.ReadFile.
func (r *Root) ReadFile(name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return rootReadAll(f)
}

// rootReadAll reads f to its end, sizing the buffer from Stat.
func rootReadAll(f *File) ([]byte, error) {
	size := 512
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if s := fi.Size(); s > 0 && int64(int(s)) == s {
			size = int(s) + 1 // one more byte to see EOF without growing
		}
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return data, err
		}
	}
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
