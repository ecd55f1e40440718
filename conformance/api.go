package conformance

import (
	"io"
	"io/fs"
	"os"
	"reflect"
	"time"
)

// File is the method set of *os.File that the File suite exercises. An
// implementation's file type must provide all of it; *os.File does.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Seeker
	io.Closer
	io.StringWriter
	io.ReaderFrom
	io.WriterTo

	Name() string
	Fd() uintptr
	Stat() (fs.FileInfo, error)
	Sync() error
	Truncate(size int64) error
	Chmod(mode fs.FileMode) error
	ReadDir(n int) ([]fs.DirEntry, error)
	Readdir(n int) ([]fs.FileInfo, error)
	Readdirnames(n int) ([]string, error)
	SetDeadline(t time.Time) error
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

var _ File = (*os.File)(nil)

// FileSystem is the set of os-level functions the File suite calls, one
// field per function of package os with the same signature. A nil field
// makes every scenario that needs it skip (and be listed as skipped), so a
// partial implementation can still be checked.
//
// Open functions must return a nil File interface on error, not a typed
// nil pointer inside it; [AdaptOpenFile] and [AdaptOpen] do that conversion
// for functions that return a concrete pointer type.
type FileSystem struct {
	OpenFile  func(name string, flag int, perm fs.FileMode) (File, error)
	Open      func(name string) (File, error)
	Create    func(name string) (File, error)
	Mkdir     func(name string, perm fs.FileMode) error
	MkdirAll  func(path string, perm fs.FileMode) error
	Remove    func(name string) error
	RemoveAll func(path string) error
	Rename    func(oldpath, newpath string) error
	Stat      func(name string) (fs.FileInfo, error)
	Lstat     func(name string) (fs.FileInfo, error)
	Symlink   func(oldname, newname string) error
	Readlink  func(name string) (string, error)
	Link      func(oldname, newname string) error
	Chmod     func(name string, mode fs.FileMode) error
	Chtimes   func(name string, atime, mtime time.Time) error
	Truncate  func(name string, size int64) error
	ReadFile  func(name string) ([]byte, error)
	WriteFile func(name string, data []byte, perm fs.FileMode) error
	ReadDir   func(name string) ([]fs.DirEntry, error)

	// NilFile is the implementation's nil file value, such as
	// (*os.File)(nil), whose methods must behave like those of a nil
	// *os.File. Leave it nil when the file type is not a pointer; the
	// nil-receiver scenario is then skipped.
	NilFile File
}

// OS returns the FileSystem backed by package os: the oracle every other
// implementation is compared against.
func OS() FileSystem {
	return FileSystem{
		OpenFile:  AdaptOpenFile(os.OpenFile),
		Open:      AdaptOpen(os.Open),
		Create:    AdaptOpen(os.Create),
		Mkdir:     os.Mkdir,
		MkdirAll:  os.MkdirAll,
		Remove:    os.Remove,
		RemoveAll: os.RemoveAll,
		Rename:    os.Rename,
		Stat:      os.Stat,
		Lstat:     os.Lstat,
		Symlink:   os.Symlink,
		Readlink:  os.Readlink,
		Link:      os.Link,
		Chmod:     os.Chmod,
		Chtimes:   os.Chtimes,
		Truncate:  os.Truncate,
		ReadFile:  os.ReadFile,
		WriteFile: os.WriteFile,
		ReadDir:   os.ReadDir,
		NilFile:   (*os.File)(nil),
	}
}

// AdaptOpenFile turns an OpenFile function returning a concrete file type
// into one returning File, mapping a nil pointer result to a nil interface
// so that callers' f == nil checks keep working.
func AdaptOpenFile[F File](open func(name string, flag int, perm fs.FileMode) (F, error)) func(string, int, fs.FileMode) (File, error) {
	return func(name string, flag int, perm fs.FileMode) (File, error) {
		f, err := open(name, flag, perm)
		if isNil(f) {
			return nil, err
		}
		return f, err
	}
}

// AdaptOpen is [AdaptOpenFile] for Open- and Create-shaped functions.
func AdaptOpen[F File](open func(name string) (F, error)) func(string) (File, error) {
	return func(name string) (File, error) {
		f, err := open(name)
		if isNil(f) {
			return nil, err
		}
		return f, err
	}
}

// isNil reports whether v is a nil interface or holds a nil pointer, map,
// slice, func or channel.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
