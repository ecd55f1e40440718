// This file is the resolver a Root works with: it turns a name into a
// descriptor beneath the root's directory (openat2 with RESOLVE_BENEATH, so
// the kernel keeps every lookup inside), or into the directory that holds the
// name's last element, treating "..", trailing slashes and symbolic links as
// os.Root does. MkdirAll's element-by-element walk lives here too.

package uringfs

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

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

// rootCheckName refuses, as os.Root does before any lookup, an empty name
// and an absolute one.
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
