//go:build !linux

package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
)

// On systems without io_uring, File is an *os.File with the same Context
// methods, so programs written against uringfs build and run unchanged.

// File is an open file; here it wraps an *os.File.
type File struct {
	*os.File
}

// Backend reports "syscall": there is no io_uring on this system.
func Backend() (string, error) { return "syscall", nil }

// FallbackReason says why io_uring is not used.
func FallbackReason() error { return errors.New("io_uring exists only on Linux") }

// LoopCounters returns zero counters: no loop runs here.
func LoopCounters() Counters { return Counters{} }

func wrap(f *os.File, err error) (*File, error) {
	if err != nil {
		return nil, err
	}
	return &File{f}, nil
}

// Open opens the named file for reading, like os.Open.
func Open(name string) (*File, error) { return wrap(os.Open(name)) }

// Create creates or truncates the named file, like os.Create.
func Create(name string) (*File, error) { return wrap(os.Create(name)) }

// OpenFile opens the named file with flag and perm, like os.OpenFile.
func OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return wrap(os.OpenFile(name, flag, perm))
}

// OpenFileContext is OpenFile; ctx is checked before the open.
func OpenFileContext(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return OpenFile(name, flag, perm)
}

// NewFile returns a File for an open descriptor, like os.NewFile.
func NewFile(fd uintptr, name string) *File {
	f := os.NewFile(fd, name)
	if f == nil {
		return nil
	}
	return &File{f}
}

// Stat is os.Stat.
func Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// Lstat is os.Lstat.
func Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }

// wrapErr gives the errors this package itself reports on a File (a done
// context, a Batch operation that never ran) the form os gives its own. It
// accepts a nil File, for which it reports os.ErrInvalid, as a nil *os.File
// does: a Batch operation handed a nil File fails through here like the
// rest.
func (f *File) wrapErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if f == nil {
		return os.ErrInvalid
	}
	return &fs.PathError{Op: op, Path: f.Name(), Err: err}
}

func (f *File) ctxErr(ctx context.Context, op string) error {
	return f.wrapErr(op, ctx.Err())
}

// ReadContext is Read; ctx is checked before the read.
func (f *File) ReadContext(ctx context.Context, b []byte) (int, error) {
	if err := f.ctxErr(ctx, "read"); err != nil {
		return 0, err
	}
	return f.Read(b)
}

// ReadAtContext is ReadAt; ctx is checked before the read.
func (f *File) ReadAtContext(ctx context.Context, b []byte, off int64) (int, error) {
	if err := f.ctxErr(ctx, "read"); err != nil {
		return 0, err
	}
	return f.ReadAt(b, off)
}

// WriteContext is Write; ctx is checked before the write.
func (f *File) WriteContext(ctx context.Context, b []byte) (int, error) {
	if err := f.ctxErr(ctx, "write"); err != nil {
		return 0, err
	}
	return f.Write(b)
}

// WriteAtContext is WriteAt; ctx is checked before the write.
func (f *File) WriteAtContext(ctx context.Context, b []byte, off int64) (int, error) {
	if err := f.ctxErr(ctx, "write"); err != nil {
		return 0, err
	}
	return f.WriteAt(b, off)
}

// StatContext is Stat; ctx is checked first.
func (f *File) StatContext(ctx context.Context) (fs.FileInfo, error) {
	if err := f.ctxErr(ctx, "stat"); err != nil {
		return nil, err
	}
	return f.Stat()
}

// SyncContext is Sync; ctx is checked first.
func (f *File) SyncContext(ctx context.Context) error {
	if err := f.ctxErr(ctx, "sync"); err != nil {
		return err
	}
	return f.Sync()
}
