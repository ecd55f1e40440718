//go:build !linux

package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// On systems without io_uring, File wraps an *os.File. Its field is
// unexported and each method is written out, so that File has exactly the
// method set it has on Linux: code that compiles here compiles there.

// File is an open file; here it wraps an *os.File, to which every method
// forwards. Use OSFile, not a field, to reach an *os.File.
//
// The zero value is not usable; a nil *File returns os.ErrInvalid from every
// method, as a nil *os.File does.
type File struct {
	f *os.File
}

// inner returns the wrapped *os.File, or a nil one for a nil File, whose
// methods report os.ErrInvalid.
func (f *File) inner() *os.File {
	if f == nil {
		return nil
	}
	return f.f
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
	return &File{f: f}, nil
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
	return &File{f: f}
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
func (f *File) ReadContext(ctx context.Context, b []byte) (n int, err error) {
	if err := f.ctxErr(ctx, "read"); err != nil {
		return 0, err
	}
	return f.Read(b)
}

// ReadAtContext is ReadAt; ctx is checked before the read.
func (f *File) ReadAtContext(ctx context.Context, b []byte, off int64) (n int, err error) {
	if err := f.ctxErr(ctx, "read"); err != nil {
		return 0, err
	}
	return f.ReadAt(b, off)
}

// WriteContext is Write; ctx is checked before the write.
func (f *File) WriteContext(ctx context.Context, b []byte) (n int, err error) {
	if err := f.ctxErr(ctx, "write"); err != nil {
		return 0, err
	}
	return f.Write(b)
}

// WriteAtContext is WriteAt; ctx is checked before the write.
func (f *File) WriteAtContext(ctx context.Context, b []byte, off int64) (n int, err error) {
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

// Chdir is os.File.Chdir.
func (f *File) Chdir() error { return f.inner().Chdir() }

// Chmod is os.File.Chmod.
func (f *File) Chmod(mode fs.FileMode) error { return f.inner().Chmod(mode) }

// Chown is os.File.Chown.
func (f *File) Chown(uid, gid int) error { return f.inner().Chown(uid, gid) }

// Close is os.File.Close.
func (f *File) Close() error { return f.inner().Close() }

// Fd is os.File.Fd.
func (f *File) Fd() uintptr { return f.inner().Fd() }

// Name is os.File.Name.
func (f *File) Name() string { return f.inner().Name() }

// Read is os.File.Read.
func (f *File) Read(b []byte) (n int, err error) { return f.inner().Read(b) }

// ReadAt is os.File.ReadAt.
func (f *File) ReadAt(b []byte, off int64) (n int, err error) { return f.inner().ReadAt(b, off) }

// ReadDir is os.File.ReadDir.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) { return f.inner().ReadDir(n) }

// ReadFrom is os.File.ReadFrom.
func (f *File) ReadFrom(r io.Reader) (n int64, err error) { return f.inner().ReadFrom(r) }

// Readdir is os.File.Readdir.
func (f *File) Readdir(n int) ([]fs.FileInfo, error) { return f.inner().Readdir(n) }

// Readdirnames is os.File.Readdirnames.
func (f *File) Readdirnames(n int) ([]string, error) { return f.inner().Readdirnames(n) }

// Seek is os.File.Seek.
func (f *File) Seek(offset int64, whence int) (ret int64, err error) {
	return f.inner().Seek(offset, whence)
}

// SetDeadline is os.File.SetDeadline.
func (f *File) SetDeadline(t time.Time) error { return f.inner().SetDeadline(t) }

// SetReadDeadline is os.File.SetReadDeadline.
func (f *File) SetReadDeadline(t time.Time) error { return f.inner().SetReadDeadline(t) }

// SetWriteDeadline is os.File.SetWriteDeadline.
func (f *File) SetWriteDeadline(t time.Time) error { return f.inner().SetWriteDeadline(t) }

// Stat is os.File.Stat.
func (f *File) Stat() (fs.FileInfo, error) { return f.inner().Stat() }

// Sync is os.File.Sync.
func (f *File) Sync() error { return f.inner().Sync() }

// SyscallConn is os.File.SyscallConn.
func (f *File) SyscallConn() (syscall.RawConn, error) { return f.inner().SyscallConn() }

// Truncate is os.File.Truncate.
func (f *File) Truncate(size int64) error { return f.inner().Truncate(size) }

// Write is os.File.Write.
func (f *File) Write(b []byte) (n int, err error) { return f.inner().Write(b) }

// WriteAt is os.File.WriteAt.
func (f *File) WriteAt(b []byte, off int64) (n int, err error) { return f.inner().WriteAt(b, off) }

// WriteString is os.File.WriteString.
func (f *File) WriteString(s string) (n int, err error) { return f.inner().WriteString(s) }

// WriteTo is os.File.WriteTo.
func (f *File) WriteTo(w io.Writer) (n int64, err error) { return f.inner().WriteTo(w) }
