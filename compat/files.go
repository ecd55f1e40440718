package compat

import (
	"io/fs"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// File is an open file whose I/O runs on the io_uring loop; it has the
// method set of *os.File. See uringfs.File.
type File = uringfs.File

// Open opens the named file for reading, like os.Open.
func Open(name string) (*File, error) { return uringfs.Open(name) }

// Create creates or truncates the named file (mode 0o666 before umask),
// opened for reading and writing, like os.Create.
func Create(name string) (*File, error) { return uringfs.Create(name) }

// OpenFile opens the named file with flag (O_RDONLY, O_CREATE, ...) and
// perm, like os.OpenFile.
func OpenFile(name string, flag int, perm FileMode) (*File, error) {
	return uringfs.OpenFile(name, flag, perm)
}

// NewFile returns a File that owns the open descriptor fd, like os.NewFile;
// nil if fd is not valid.
func NewFile(fd uintptr, name string) *File { return uringfs.NewFile(fd, name) }

// ReadFile returns the contents of the named file, like os.ReadFile.
func ReadFile(name string) ([]byte, error) { return uringfs.ReadFile(name) }

// WriteFile writes data to the named file, creating it with perm (before
// umask) or truncating it, like os.WriteFile.
func WriteFile(name string, data []byte, perm FileMode) error {
	return uringfs.WriteFile(name, data, perm)
}

// Stat returns the FileInfo of the named file, following symbolic links,
// like os.Stat.
func Stat(name string) (FileInfo, error) { return uringfs.Stat(name) }

// Lstat is Stat without following a final symbolic link, like os.Lstat.
func Lstat(name string) (FileInfo, error) { return uringfs.Lstat(name) }

// Mkdir creates a directory, like os.Mkdir.
func Mkdir(name string, perm FileMode) error { return uringfs.Mkdir(name, perm) }

// MkdirAll creates a directory and any missing parents, like os.MkdirAll.
func MkdirAll(path string, perm FileMode) error { return uringfs.MkdirAll(path, perm) }

// Remove removes a file or an empty directory, like os.Remove.
func Remove(name string) error { return uringfs.Remove(name) }

// RemoveAll removes path and everything below it, like os.RemoveAll.
func RemoveAll(path string) error { return uringfs.RemoveAll(path) }

// Rename renames (moves) oldpath to newpath, like os.Rename.
func Rename(oldpath, newpath string) error { return uringfs.Rename(oldpath, newpath) }

// Symlink creates newname as a symbolic link to oldname, like os.Symlink.
func Symlink(oldname, newname string) error { return uringfs.Symlink(oldname, newname) }

// Readlink returns the target of a symbolic link, like os.Readlink.
func Readlink(name string) (string, error) { return uringfs.Readlink(name) }

// Link creates newname as a hard link to oldname, like os.Link.
func Link(oldname, newname string) error { return uringfs.Link(oldname, newname) }

// Chmod changes the mode of the named file, like os.Chmod.
func Chmod(name string, mode FileMode) error { return uringfs.Chmod(name, mode) }

// Chown changes the owner and group of the named file, like os.Chown.
func Chown(name string, uid, gid int) error { return uringfs.Chown(name, uid, gid) }

// Lchown is Chown of a symbolic link itself, like os.Lchown.
func Lchown(name string, uid, gid int) error { return uringfs.Lchown(name, uid, gid) }

// Chtimes changes the access and modification times of the named file; a
// zero time leaves that time unchanged, as with os.Chtimes.
func Chtimes(name string, atime, mtime time.Time) error {
	return uringfs.Chtimes(name, atime, mtime)
}

// Truncate changes the size of the named file, like os.Truncate.
func Truncate(name string, size int64) error { return uringfs.Truncate(name, size) }

// ReadDir returns the entries of the named directory sorted by name, like
// os.ReadDir.
func ReadDir(name string) ([]DirEntry, error) { return uringfs.ReadDir(name) }

// CreateTemp creates a new file in dir (TempDir() if empty) whose name is
// made from pattern, like os.CreateTemp.
func CreateTemp(dir, pattern string) (*File, error) { return uringfs.CreateTemp(dir, pattern) }

// MkdirTemp creates a new directory in dir (TempDir() if empty) and returns
// its name, like os.MkdirTemp.
func MkdirTemp(dir, pattern string) (string, error) { return uringfs.MkdirTemp(dir, pattern) }

// DirFS returns an fs.FS for the tree rooted at dir, like os.DirFS; its files
// are *File values.
func DirFS(dir string) fs.FS { return uringfs.DirFS(dir) }
