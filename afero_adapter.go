package uring

import (
	"io/fs"
	"time"

	"github.com/spf13/afero"

	"github.com/uringfs/uring/uringfs"
)

// Fs is an afero.Fs whose files are *uringfs.File values: every open, read,
// write and stat runs on the io_uring event loop of package uringfs. It
// behaves as afero.OsFs does, name for name and error for error, so it can
// take OsFs's place anywhere, including under afero.BasePathFs,
// afero.CopyOnWriteFs, afero.ReadOnlyFs and afero.IOFS.
//
// The zero value is ready to use; an Fs holds no state.
type Fs struct{}

var (
	_ afero.Fs        = (*Fs)(nil)
	_ afero.Lstater   = (*Fs)(nil)
	_ afero.Symlinker = (*Fs)(nil)

	// The adapter hands out *uringfs.File as it is, with no wrapper in
	// between, so the file must have the whole afero.File method set.
	_ afero.File = (*uringfs.File)(nil)
)

// NewFs returns an afero.Fs backed by package uringfs.
func NewFs() *Fs { return &Fs{} }

// Name returns "UringFs".
func (*Fs) Name() string { return "UringFs" }

// aferoFile returns f as an afero.File. A failed open gives a nil *File;
// putting that in the interface would make a non-nil afero.File that callers
// comparing against nil would then use, so it becomes a nil interface.
func aferoFile(f *uringfs.File, err error) (afero.File, error) {
	if f == nil {
		return nil, err
	}
	return f, err
}

// Create creates or truncates the named file, like os.Create.
func (*Fs) Create(name string) (afero.File, error) { return aferoFile(uringfs.Create(name)) }

// Open opens the named file for reading, like os.Open.
func (*Fs) Open(name string) (afero.File, error) { return aferoFile(uringfs.Open(name)) }

// OpenFile opens the named file with flag and perm, like os.OpenFile.
func (*Fs) OpenFile(name string, flag int, perm fs.FileMode) (afero.File, error) {
	return aferoFile(uringfs.OpenFile(name, flag, perm))
}

// Mkdir creates a directory, like os.Mkdir.
func (*Fs) Mkdir(name string, perm fs.FileMode) error { return uringfs.Mkdir(name, perm) }

// MkdirAll creates a directory and any missing parents, like os.MkdirAll.
func (*Fs) MkdirAll(path string, perm fs.FileMode) error { return uringfs.MkdirAll(path, perm) }

// Remove removes a file or an empty directory, like os.Remove.
func (*Fs) Remove(name string) error { return uringfs.Remove(name) }

// RemoveAll removes path and everything below it, like os.RemoveAll; a
// missing path is not an error.
func (*Fs) RemoveAll(path string) error { return uringfs.RemoveAll(path) }

// Rename renames (moves) oldname to newname, like os.Rename.
func (*Fs) Rename(oldname, newname string) error { return uringfs.Rename(oldname, newname) }

// Stat returns the FileInfo of the named file, following symlinks, like
// os.Stat.
func (*Fs) Stat(name string) (fs.FileInfo, error) { return uringfs.Stat(name) }

// Chmod changes the mode of the named file, like os.Chmod.
func (*Fs) Chmod(name string, mode fs.FileMode) error { return uringfs.Chmod(name, mode) }

// Chown changes the owner and group of the named file, like os.Chown.
func (*Fs) Chown(name string, uid, gid int) error { return uringfs.Chown(name, uid, gid) }

// Chtimes changes the access and modification times of the named file, like
// os.Chtimes.
func (*Fs) Chtimes(name string, atime, mtime time.Time) error {
	return uringfs.Chtimes(name, atime, mtime)
}

// LstatIfPossible is os.Lstat; the bool is always true, as with afero.OsFs,
// because lstat is always available.
func (*Fs) LstatIfPossible(name string) (fs.FileInfo, bool, error) {
	fi, err := uringfs.Lstat(name)
	return fi, true, err
}

// SymlinkIfPossible creates newname as a symbolic link to oldname, like
// os.Symlink.
func (*Fs) SymlinkIfPossible(oldname, newname string) error {
	return uringfs.Symlink(oldname, newname)
}

// ReadlinkIfPossible returns the target of the named symbolic link, like
// os.Readlink.
func (*Fs) ReadlinkIfPossible(name string) (string, error) { return uringfs.Readlink(name) }
