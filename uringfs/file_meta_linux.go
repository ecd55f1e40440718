package uringfs

// File methods other than I/O and Close: name and descriptor, Stat, Sync,
// Truncate, the f-prefixed system calls, and deadlines.

import (
	"context"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Fd returns the descriptor number, or ^uintptr(0) once the file is closed.
// As with os, the number is only valid until Close, and the File's cleanup may
// close it when the File becomes unreachable: keep the File alive. Like
// os's Fd, it puts a descriptor in non-blocking mode back into blocking mode,
// since whoever takes the number expects calls on it to wait.
func (f *File) Fd() uintptr {
	if f == nil {
		return ^uintptr(0)
	}
	if !f.state.incref() {
		return ^uintptr(0)
	}
	defer f.release()
	if f.nonblock.Load() && unix.SetNonblock(f.fd, false) == nil {
		f.nonblock.Store(false)
	}
	return uintptr(f.fd)
}

// Stat returns the FileInfo of the open file (IORING_OP_STATX on the fd).
func (f *File) Stat() (fs.FileInfo, error) { return f.StatContext(background) }

// StatContext is Stat with a context.
func (f *File) StatContext(ctx context.Context) (fs.FileInfo, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	if err := f.acquire(); err != nil {
		return nil, f.wrapErr("stat", err)
	}
	defer f.release()
	var st unix.Statx_t
	err := f.ignoringEINTR(func() error {
		l, err := f.opLoop()
		if err != nil {
			return err
		}
		return l.Statx(ctx, f.fd, "", unix.AT_EMPTY_PATH, statxMask, &st)
	})
	if err != nil {
		return nil, f.wrapErr("stat", err)
	}
	return newFileInfo(basename(f.name), &st), nil
}

// Sync commits the file to stable storage (IORING_OP_FSYNC).
func (f *File) Sync() error { return f.SyncContext(background) }

// SyncContext is Sync with a context.
func (f *File) SyncContext(ctx context.Context) error {
	return f.fdCall(ctx, "sync", func(ctx context.Context) error {
		l, err := f.opLoop()
		if err != nil {
			return err
		}
		return l.Fsync(ctx, f.fd, false)
	})
}

// Truncate changes the size of the file (IORING_OP_FTRUNCATE); the offset is
// unchanged.
func (f *File) Truncate(size int64) error {
	return f.fdCall(background, "truncate", func(ctx context.Context) error {
		l, err := f.opLoop()
		if err != nil {
			return err
		}
		return l.Ftruncate(ctx, f.fd, size)
	})
}

// Chmod changes the mode of the file (fchmod(2)).
func (f *File) Chmod(mode fs.FileMode) error {
	return f.fdCall(background, "chmod", func(context.Context) error {
		return unix.Fchmod(f.fd, syscallMode(mode))
	})
}

// Chown changes the owner of the file (fchown(2)).
func (f *File) Chown(uid, gid int) error {
	return f.fdCall(background, "chown", func(context.Context) error {
		return unix.Fchown(f.fd, uid, gid)
	})
}

// Chdir makes the file, a directory, the working directory (fchdir(2)).
func (f *File) Chdir() error {
	return f.fdCall(background, "chdir", func(context.Context) error {
		return unix.Fchdir(f.fd)
	})
}

// fdCall runs fn holding a reference, retrying EINTR, and wraps its error.
func (f *File) fdCall(ctx context.Context, op string, fn func(context.Context) error) error {
	if err := f.checkValid(); err != nil {
		return err
	}
	if err := f.acquire(); err != nil {
		return f.wrapErr(op, err)
	}
	defer f.release()
	return f.wrapErr(op, f.ignoringEINTR(func() error { return fn(ctx) }))
}

// SetDeadline returns an error wrapping os.ErrNoDeadline: like regular files
// under os, a File has no deadlines. Use the Context methods to bound an
// operation.
func (f *File) SetDeadline(t time.Time) error { return f.setDeadline() }

// SetReadDeadline: see SetDeadline.
func (f *File) SetReadDeadline(t time.Time) error { return f.setDeadline() }

// SetWriteDeadline: see SetDeadline.
func (f *File) SetWriteDeadline(t time.Time) error { return f.setDeadline() }

func (f *File) setDeadline() error {
	if err := f.checkValid(); err != nil {
		return err
	}
	// os returns these two unwrapped, and so do we.
	if !f.state.incref() {
		return errClosing
	}
	f.release()
	return os.ErrNoDeadline
}
