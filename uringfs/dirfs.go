package uringfs

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// DirFS returns a file system (an fs.FS) for the tree of files rooted at the
// directory dir, like os.DirFS, with its files opened and read on the loop.
// Open returns a *File.
//
// The result implements fs.StatFS, fs.ReadFileFS, fs.ReadDirFS and
// fs.ReadLinkFS. Names are slash-separated and must satisfy fs.ValidPath;
// an invalid name fails with a *fs.PathError wrapping fs.ErrInvalid.
//
// What DirFS is not: a sandbox. A name is simply joined to dir, so a
// symbolic link inside the tree that points outside it is followed out of
// it, and a change of what dir refers to (a rename, a new symlink) changes
// what the file system shows. To confine access to the tree, use a Root.
// dir is used as given, not made absolute: a relative dir is resolved
// against the working directory at the time of each call, so DirFS(".")
// follows later Chdir calls.
func DirFS(dir string) fs.FS { return dirFS(dir) }

type dirFS string

var (
	_ fs.FS         = dirFS("")
	_ fs.StatFS     = dirFS("")
	_ fs.ReadFileFS = dirFS("")
	_ fs.ReadDirFS  = dirFS("")
	_ fs.ReadLinkFS = dirFS("")
)

var errDirFSEmptyRoot = errors.New("os: DirFS with empty root")

// join turns a slash-separated fs name into a path under dir for this
// system, or fails: an empty root, a name fs.ValidPath rejects, or one the
// system cannot express (a NUL byte; a reserved name on Windows).
func (dir dirFS) join(name string) (string, error) {
	if dir == "" {
		return "", errDirFSEmptyRoot
	}
	local, err := filepath.Localize(name)
	if err != nil {
		return "", fs.ErrInvalid
	}
	return joinDir(string(dir), local), nil
}

// nameErr puts the caller's fs name back into a PathError whose path is the
// joined system path, so errors read in the file system's own terms.
func nameErr(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok {
		pe.Path = name
	}
	return err
}

// Open opens the named file for reading; the fs.File is a *File.
func (dir dirFS) Open(name string) (fs.File, error) {
	full, err := dir.join(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := Open(full)
	if err != nil {
		return nil, nameErr(err, name)
	}
	return f, nil
}

// ReadFile reads the named file with ReadFile (open, size, read, close on
// the loop), which also handles files like those in /proc that report size
// zero.
func (dir dirFS) ReadFile(name string) ([]byte, error) {
	full, err := dir.join(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	b, err := ReadFile(full)
	if err != nil {
		return nil, nameErr(err, name)
	}
	return b, nil
}

// ReadDir reads the named directory and returns its entries sorted by name.
func (dir dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	full, err := dir.join(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	entries, err := ReadDir(full)
	if err != nil {
		return nil, nameErr(err, name)
	}
	return entries, nil
}

// Stat returns the FileInfo of the named file, following symlinks.
func (dir dirFS) Stat(name string) (fs.FileInfo, error) {
	full, err := dir.join(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	fi, err := Stat(full)
	if err != nil {
		return nil, nameErr(err, name)
	}
	return fi, nil
}

// Lstat returns the FileInfo of the named file without following a final
// symlink.
func (dir dirFS) Lstat(name string) (fs.FileInfo, error) {
	full, err := dir.join(name)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	fi, err := Lstat(full)
	if err != nil {
		return nil, nameErr(err, name)
	}
	return fi, nil
}

// ReadLink returns the target of the named symbolic link, as stored.
//
// Its errors name the joined system path rather than the fs name, because
// os.DirFS's ReadLink does so and DirFS reports what os.DirFS reports.
func (dir dirFS) ReadLink(name string) (string, error) {
	full, err := dir.join(name)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return Readlink(full)
}
