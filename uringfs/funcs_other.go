//go:build !linux

package uringfs

import (
	"context"
	"io/fs"
	"os"
	"time"
)

// Without io_uring the package functions are os's, so a program written
// against uringfs builds and behaves the same on every system. The Context
// forms check ctx before starting.

// ReadFile reads the named file, like os.ReadFile.
func ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// ReadFileContext is ReadFile; ctx is checked before the open.
func ReadFileContext(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.ReadFile(name)
}

// WriteFile writes data to the named file, like os.WriteFile.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return os.WriteFile(name, data, perm)
}

// WriteFileContext is WriteFile; ctx is checked before the open.
func WriteFileContext(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.WriteFile(name, data, perm)
}

// Mkdir is os.Mkdir.
func Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }

// MkdirAll is os.MkdirAll.
func MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// Remove is os.Remove.
func Remove(name string) error { return os.Remove(name) }

// RemoveAll is os.RemoveAll.
func RemoveAll(path string) error { return os.RemoveAll(path) }

// Rename is os.Rename.
func Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Symlink is os.Symlink.
func Symlink(oldname, newname string) error { return os.Symlink(oldname, newname) }

// Link is os.Link.
func Link(oldname, newname string) error { return os.Link(oldname, newname) }

// Readlink is os.Readlink.
func Readlink(name string) (string, error) { return os.Readlink(name) }

// Chmod is os.Chmod.
func Chmod(name string, mode fs.FileMode) error { return os.Chmod(name, mode) }

// Chown is os.Chown.
func Chown(name string, uid, gid int) error { return os.Chown(name, uid, gid) }

// Lchown is os.Lchown.
func Lchown(name string, uid, gid int) error { return os.Lchown(name, uid, gid) }

// Chtimes is os.Chtimes.
func Chtimes(name string, atime, mtime time.Time) error { return os.Chtimes(name, atime, mtime) }

// Truncate is os.Truncate.
func Truncate(name string, size int64) error { return os.Truncate(name, size) }

// ReadDir is os.ReadDir: the entries sorted by name.
func ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
