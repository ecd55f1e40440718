package compat

import (
	"io"
	"io/fs"
	"path/filepath"
)

// CopyFS copies the file system fsys into the directory dir, creating dir if
// necessary, like os.CopyFS, and with its semantics, but on the loop: the
// directories, links and files it creates and the data it writes go through
// this package's MkdirAll, Symlink and OpenFile.
//
// Files are created with mode 0o666 plus any execute permissions from the
// source, and directories with mode 0o777 (before umask). CopyFS will not
// overwrite existing files: each file is created with O_EXCL, and a name that
// already exists in the destination stops the copy with an error for which
// errors.Is(err, fs.ErrExist) is true. Symbolic links in fsys are copied as
// links (their targets read with fs.ReadLink); symbolic links in dir are
// followed. A file of any other type (device, FIFO, socket) stops the copy
// with a *PathError wrapping ErrInvalid. New files added to fsys while CopyFS
// runs are not guaranteed to be copied. Copying stops at and returns the
// first error encountered.
func CopyFS(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fpath, err := filepath.Localize(path)
		if err != nil {
			return err
		}
		newPath := joinPath(dir, fpath)

		switch d.Type() {
		case ModeDir:
			return MkdirAll(newPath, 0o777)
		case ModeSymlink:
			target, err := fs.ReadLink(fsys, path)
			if err != nil {
				return err
			}
			return Symlink(target, newPath)
		case 0:
			r, err := fsys.Open(path)
			if err != nil {
				return err
			}
			defer r.Close()
			info, err := r.Stat()
			if err != nil {
				return err
			}
			w, err := OpenFile(newPath, O_CREATE|O_EXCL|O_WRONLY, 0o666|info.Mode()&0o777)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, r); err != nil {
				w.Close()
				return &PathError{Op: "Copy", Path: newPath, Err: err}
			}
			return w.Close()
		default:
			return &PathError{Op: "CopyFS", Path: path, Err: ErrInvalid}
		}
	})
}

// joinPath joins dir and name as os does in CopyFS: without cleaning, so that
// the paths in errors read as os's.
func joinPath(dir, name string) string {
	if len(dir) > 0 && IsPathSeparator(dir[len(dir)-1]) {
		return dir + name
	}
	return dir + string(PathSeparator) + name
}
