package uringfs

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// Stat returns the FileInfo of the named file, following symlinks, like
// os.Stat (IORING_OP_STATX).
func Stat(name string) (fs.FileInfo, error) { return statPath("stat", name, 0) }

// Lstat is Stat without following a final symlink, like os.Lstat.
func Lstat(name string) (fs.FileInfo, error) {
	return statPath("lstat", name, unix.AT_SYMLINK_NOFOLLOW)
}

func statPath(op, name string, flags int) (fs.FileInfo, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	var st unix.Statx_t
	err = ignoringEINTR(func() error {
		return l.Statx(background, unix.AT_FDCWD, name, flags, statxMask, &st)
	})
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return newFileInfo(basename(name), &st), nil
}
