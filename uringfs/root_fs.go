//go:build linux

package uringfs

import (
	"io/fs"
	"os"
)

// FS returns the tree beneath the root as an fs.FS, like os.Root.FS. It
// implements fs.StatFS, fs.ReadFileFS, fs.ReadDirFS and fs.ReadLinkFS, and
// the files it opens are *File values.
func (r *Root) FS() fs.FS { return (*rootFS)(r) }

type rootFS Root

var (
	_ fs.StatFS     = (*rootFS)(nil)
	_ fs.ReadFileFS = (*rootFS)(nil)
	_ fs.ReadDirFS  = (*rootFS)(nil)
	_ fs.ReadLinkFS = (*rootFS)(nil)
)

func (rfs *rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: os.ErrInvalid}
	}
	f, err := (*Root)(rfs).Open(name)
	if err != nil {
		return nil, err // a nil interface, not a nil *File
	}
	return f, nil
}

func (rfs *rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: os.ErrInvalid}
	}
	f, err := (*Root)(rfs).Open(name)
	if err != nil {
		return nil, err
	}
	return readDirSorted(f)
}

func (rfs *rootFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: os.ErrInvalid}
	}
	return (*Root)(rfs).ReadFile(name)
}

func (rfs *rootFS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: os.ErrInvalid}
	}
	return (*Root)(rfs).Readlink(name)
}

func (rfs *rootFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: os.ErrInvalid}
	}
	return (*Root)(rfs).Stat(name)
}

func (rfs *rootFS) Lstat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: os.ErrInvalid}
	}
	return (*Root)(rfs).Lstat(name)
}
