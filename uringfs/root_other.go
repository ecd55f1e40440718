//go:build !linux

package uringfs

import (
	"io/fs"
	"os"
	"time"
)

// Root gives access to the files beneath one directory, like os.Root; here
// it wraps an *os.Root.
type Root struct {
	r *os.Root
}

// OpenRoot opens the named directory as a Root, like os.OpenRoot.
func OpenRoot(name string) (*Root, error) {
	r, err := os.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return &Root{r}, nil
}

// OpenInRoot opens name beneath dir for reading, like os.OpenInRoot.
func OpenInRoot(dir, name string) (*File, error) { return wrap(os.OpenInRoot(dir, name)) }

// Name returns the name given to OpenRoot.
func (r *Root) Name() string { return r.r.Name() }

// Close closes the Root.
func (r *Root) Close() error { return r.r.Close() }

// Open opens the named file in the root for reading.
func (r *Root) Open(name string) (*File, error) { return wrap(r.r.Open(name)) }

// Create creates or truncates the named file in the root.
func (r *Root) Create(name string) (*File, error) { return wrap(r.r.Create(name)) }

// OpenFile opens the named file in the root with flag and perm.
func (r *Root) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return wrap(r.r.OpenFile(name, flag, perm))
}

// OpenRoot opens the named directory in the root as a Root.
func (r *Root) OpenRoot(name string) (*Root, error) {
	sub, err := r.r.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return &Root{sub}, nil
}

// Mkdir creates a directory in the root.
func (r *Root) Mkdir(name string, perm fs.FileMode) error { return r.r.Mkdir(name, perm) }

// MkdirAll creates a directory in the root with any missing parents.
func (r *Root) MkdirAll(name string, perm fs.FileMode) error { return r.r.MkdirAll(name, perm) }

// Remove removes the named file or empty directory in the root.
func (r *Root) Remove(name string) error { return r.r.Remove(name) }

// RemoveAll removes the named file or directory and its contents.
func (r *Root) RemoveAll(name string) error { return r.r.RemoveAll(name) }

// Rename renames oldname to newname within the root.
func (r *Root) Rename(oldname, newname string) error { return r.r.Rename(oldname, newname) }

// Link creates newname as a hard link to oldname within the root.
func (r *Root) Link(oldname, newname string) error { return r.r.Link(oldname, newname) }

// Symlink creates newname as a symbolic link to oldname.
func (r *Root) Symlink(oldname, newname string) error { return r.r.Symlink(oldname, newname) }

// Readlink returns the target of the named symbolic link in the root.
func (r *Root) Readlink(name string) (string, error) { return r.r.Readlink(name) }

// Stat returns the FileInfo of the named file in the root.
func (r *Root) Stat(name string) (fs.FileInfo, error) { return r.r.Stat(name) }

// Lstat is Stat without following a final symbolic link.
func (r *Root) Lstat(name string) (fs.FileInfo, error) { return r.r.Lstat(name) }

// Chmod changes the mode of the named file in the root.
func (r *Root) Chmod(name string, mode fs.FileMode) error { return r.r.Chmod(name, mode) }

// Chown changes the owner of the named file in the root.
func (r *Root) Chown(name string, uid, gid int) error { return r.r.Chown(name, uid, gid) }

// Lchown changes the owner of the named file without following a final link.
func (r *Root) Lchown(name string, uid, gid int) error { return r.r.Lchown(name, uid, gid) }

// Chtimes changes the access and modification times of the named file.
func (r *Root) Chtimes(name string, atime, mtime time.Time) error {
	return r.r.Chtimes(name, atime, mtime)
}

// ReadFile reads the named file in the root.
func (r *Root) ReadFile(name string) ([]byte, error) { return r.r.ReadFile(name) }

// WriteFile writes data to the named file in the root.
func (r *Root) WriteFile(name string, data []byte, perm fs.FileMode) error {
	return r.r.WriteFile(name, data, perm)
}

// FS returns the tree beneath the root as an fs.FS.
func (r *Root) FS() fs.FS { return r.r.FS() }
