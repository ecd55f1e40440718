package uring

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/uringfs/uring/uringfs"
)

// RootFs is an afero.Fs confined to one directory by the kernel, not by
// string checks: every name is resolved beneath the directory's descriptor
// by a uringfs.Root (openat2 with RESOLVE_BENEATH, through the io_uring
// loop), so no symbolic link, ".." or rename race can lead outside.
//
// It drops in where afero.NewBasePathFs(afero.NewOsFs(), dir) stood. Names
// are relative to the directory and a leading "/" means the directory
// itself, as with BasePathFs; names are cleaned lexically first, as
// BasePathFs cleans them, and inside the directory every result and every
// error is the one BasePathFs over OsFs gives: errors are *fs.PathError
// (*os.LinkError for Rename and SymlinkIfPossible) naming the real path, as
// BasePathFs's do, with the raw syscall.Errno inside; files' Name() is the
// name below the directory, with its leading "/".
//
// Where BasePathFs lets a name out, RootFs refuses it with os.Root's error,
// whose text is "path escapes from parent":
//
//   - a symbolic link leading outside, absolute or relative, anywhere in
//     the name (BasePathFs follows it: afero issues 88 and 282);
//   - ".." reached through a symbolic link;
//   - a name whose ".." elements climb above the directory, even when it
//     comes back down, such as "../app-secret/x" or "/../app" for the
//     directory /app (BasePathFs's prefix check lets the first reach
//     /app-secret: afero issue 513, and ErrNotExist is what it gives for a
//     name that stays out).
//
// The deliberate differences from BasePathFs:
//
//   - SymlinkIfPossible stores the target as given, as os.Root.Symlink
//     does, where BasePathFs rewrites it into an absolute real path. The
//     link may point anywhere; it is checked when followed, so an absolute
//     target, or one leading out, gives the escape error then. Use relative
//     targets for links meant to be followed inside.
//   - The directory is opened once, by NewRootFs: renaming or replacing
//     the path dir afterwards does not change which directory RootFs uses,
//     and a relative dir is not re-resolved when the working directory
//     changes.
//   - The directory itself can be listed, changed and emptied but not
//     removed or renamed, since that would be an operation on its parent:
//     RemoveAll("/") removes everything inside and leaves the directory;
//     Remove("/") and Rename("/", ...) fail.
//   - OpenFile follows a final symbolic link that stays inside also when
//     asked for O_NOFOLLOW, as os.Root does (OsFs fails with ELOOP).
//   - ModeSetuid, ModeSetgid and ModeSticky in the perm of OpenFile with
//     O_CREATE, Mkdir and MkdirAll are applied by a chmod after the
//     creation (os.Root accepts only permission bits), so not atomically.
//
// Methods are safe for concurrent use. Close releases the directory; every
// method afterwards fails with an error wrapping os.ErrClosed, and files
// opened before stay usable.
type RootFs struct {
	root *uringfs.Root
	// base is the cleaned directory name, the prefix of every real path
	// reported, as BasePathFs joins and trims it.
	base string
	// escapes is os.Root's error for a name that leads out.
	escapes error
}

var (
	_ afero.Fs        = (*RootFs)(nil)
	_ afero.Lstater   = (*RootFs)(nil)
	_ afero.Symlinker = (*RootFs)(nil)
)

// NewRootFs opens the directory dir and returns an afero.Fs whose every
// operation resolves beneath it. Close it when done.
func NewRootFs(dir string) (*RootFs, error) {
	base := filepath.Clean(dir)
	r, err := uringfs.OpenRoot(base)
	if err != nil {
		return nil, err
	}
	return &RootFs{root: r, base: base, escapes: escapeErr(r)}, nil
}

// escapeErr returns the error value r reports for a name that leads out,
// so that RootFs's lexical refusals carry the same value as the kernel's.
// A name with a leading "/" is refused by the Root before any system call.
func escapeErr(r *uringfs.Root) error {
	var pe *fs.PathError
	if _, err := r.Lstat("/"); errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
		return pe.Err
	}
	return errors.New("path escapes from parent")
}

// Name returns "RootFs".
func (*RootFs) Name() string { return "RootFs" }

// Close releases the directory. Operations called afterwards fail with an
// error wrapping os.ErrClosed; files already open are not affected.
func (r *RootFs) Close() error { return r.root.Close() }

// rel turns a name as BasePathFs takes it into a name relative to the
// root: "", "/" and "." mean the root, empty and "." elements and trailing
// slashes go away, and ".." takes away the element before it. ok is false
// when ".." would climb above the root.
func (r *RootFs) rel(name string) (rel string, ok bool) {
	if runtime.GOOS == "windows" && (filepath.IsAbs(name) || filepath.VolumeName(name) != "") {
		// A path of the host, not of the tree (BasePathFs refuses it too).
		return "", false
	}
	name = filepath.ToSlash(name)
	parts := make([]string, 0, strings.Count(name, "/")+1)
	for elem := range strings.SplitSeq(name, "/") {
		switch elem {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", false
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, elem)
		}
	}
	if len(parts) == 0 {
		return ".", true
	}
	return strings.Join(parts, "/"), true
}

// real is the path BasePathFs would hand to OsFs for rel.
func (r *RootFs) real(rel string) string { return filepath.Join(r.base, filepath.FromSlash(rel)) }

// escaped is the error for a name that climbs out lexically; as in
// BasePathFs's own refusals, it names the path as given.
func (r *RootFs) escaped(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: r.escapes}
}

// pathErr rewrites an error of the Root into the one OsFs would give for
// the real path: os's name for the operation, the real path, the same
// cause.
func (r *RootFs) pathErr(err error, op, rel string) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: r.real(rel), Err: err}
}

// rootInfo gives the root directory's FileInfo the name os gives it, the
// last element of the real path, where the Root calls it ".".
type rootInfo struct {
	fs.FileInfo
	name string
}

func (i rootInfo) Name() string { return i.name }

func (r *RootFs) info(fi fs.FileInfo, rel string) fs.FileInfo {
	if fi == nil || rel != "." {
		return fi
	}
	return rootInfo{fi, filepath.Base(r.real(rel))}
}

// Create creates or truncates the named file, like BasePathFs's Create.
func (r *RootFs) Create(name string) (afero.File, error) {
	return r.openFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens the named file for reading.
func (r *RootFs) Open(name string) (afero.File, error) { return r.openFile(name, os.O_RDONLY, 0) }

// OpenFile opens the named file with flag and perm. A failed open returns
// a nil afero.File.
func (r *RootFs) OpenFile(name string, flag int, perm fs.FileMode) (afero.File, error) {
	return r.openFile(name, flag, perm)
}

func (r *RootFs) openFile(name string, flag int, perm fs.FileMode) (afero.File, error) {
	rel, ok := r.rel(name)
	if !ok {
		return nil, r.escaped("open", name)
	}
	var f *uringfs.File
	var err error
	if flag&os.O_CREATE != 0 && perm&specialBits != 0 {
		f, err = r.createSpecial(rel, flag, perm)
	} else {
		f, err = r.root.OpenFile(rel, flag, perm.Perm())
	}
	if err != nil {
		return nil, r.pathErr(err, "open", rel)
	}
	real := r.real(rel)
	rf := &rootFile{File: f, name: strings.TrimPrefix(real, r.base)}
	if f.Name() != real {
		// The Root names the root directory "<dir>/.": errors and Stat
		// of the file must use the real path, as OsFs's would.
		rf.inner, rf.real = f.Name(), real
	}
	return rf, nil
}

// specialBits are the mode bits os passes to open(2) and mkdir(2) besides
// the permissions; os.Root refuses them, so RootFs sets them itself.
const specialBits = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// createSpecial opens rel as OpenFile does when perm holds special bits,
// which os.Root refuses: as open(2) does, they are applied only to a file
// the call creates, so it creates with O_EXCL first to know.
func (r *RootFs) createSpecial(rel string, flag int, perm fs.FileMode) (*uringfs.File, error) {
	f, err := r.root.OpenFile(rel, flag|os.O_EXCL, perm.Perm())
	if err == nil {
		// Permissions as the umask left them, plus the special bits.
		fi, err := f.Stat()
		if err == nil {
			err = f.Chmod(fi.Mode().Perm() | perm&specialBits)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	if flag&os.O_EXCL != 0 || !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// It exists: open it as asked, and the bits do not apply.
	return r.root.OpenFile(rel, flag, perm.Perm())
}

// Mkdir creates a directory.
func (r *RootFs) Mkdir(name string, perm fs.FileMode) error {
	rel, ok := r.rel(name)
	if !ok {
		return r.escaped("mkdir", name)
	}
	return r.pathErr(r.mkdir(rel, perm), "mkdir", rel)
}

// mkdir creates rel with perm's permission bits and its sticky bit, as
// os.Mkdir does (mkdir(2) ignores the set-ID bits).
func (r *RootFs) mkdir(rel string, perm fs.FileMode) error {
	if err := r.root.Mkdir(rel, perm.Perm()); err != nil {
		return err
	}
	if perm&fs.ModeSticky == 0 || runtime.GOOS == "windows" {
		return nil
	}
	fi, err := r.root.Lstat(rel)
	if err != nil {
		return err
	}
	// Keep a set-group-ID bit inherited from the parent.
	return r.root.Chmod(rel, fi.Mode()&(fs.ModePerm|fs.ModeSetgid)|fs.ModeSticky)
}

// MkdirAll creates a directory and any missing parents. It takes the steps
// os.MkdirAll takes, each one resolved beneath the root, so that it fails
// where and as os.MkdirAll fails.
func (r *RootFs) MkdirAll(path string, perm fs.FileMode) error {
	rel, ok := r.rel(path)
	if !ok {
		return r.escaped("mkdir", path)
	}
	return r.mkdirAll(rel, perm)
}

func (r *RootFs) mkdirAll(rel string, perm fs.FileMode) error {
	fi, err := r.root.Stat(rel)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: r.real(rel), Err: syscall.ENOTDIR}
	}
	if errors.Is(err, r.escapes) {
		// os.MkdirAll would go on to look at the parents; here the name
		// leads out and nothing more is done.
		return r.pathErr(err, "mkdir", rel)
	}
	if i := strings.LastIndexByte(rel, '/'); i > 0 {
		if err := r.mkdirAll(rel[:i], perm); err != nil {
			return err
		}
	}
	if err := r.mkdir(rel, perm); err != nil {
		// As os.MkdirAll: someone else may have made it meanwhile.
		if fi, err1 := r.root.Lstat(rel); err1 == nil && fi.IsDir() {
			return nil
		}
		return r.pathErr(err, "mkdir", rel)
	}
	return nil
}

// Remove removes a file or an empty directory. The root itself cannot be
// removed.
func (r *RootFs) Remove(name string) error {
	rel, ok := r.rel(name)
	if !ok {
		return r.escaped("remove", name)
	}
	return r.pathErr(r.root.Remove(rel), "remove", rel)
}

// RemoveAll removes path and everything below it; a missing path is not an
// error. For the root ("/"), it removes everything inside and leaves the
// directory.
func (r *RootFs) RemoveAll(path string) error {
	rel, ok := r.rel(path)
	if !ok {
		return r.escaped("RemoveAll", path)
	}
	if rel != "." {
		return r.removeAllErr(r.root.RemoveAll(rel), rel)
	}
	dir, err := r.root.Open(".")
	if err != nil {
		return r.pathErr(err, "open", rel)
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return r.pathErr(err, "readdirent", rel)
	}
	var first error
	for _, n := range names {
		if err := r.root.RemoveAll(n); err != nil && first == nil {
			first = r.removeAllErr(err, n)
		}
	}
	return first
}

// removeAllErr puts the real path where the Root names the path given;
// os.RemoveAll's other errors already name what failed.
func (r *RootFs) removeAllErr(err error, rel string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == rel {
		return &fs.PathError{Op: pe.Op, Path: r.real(rel), Err: pe.Err}
	}
	return err
}

// Rename renames (moves) oldname to newname; both stay beneath the root.
func (r *RootFs) Rename(oldname, newname string) error {
	oldrel, ok1 := r.rel(oldname)
	newrel, ok2 := r.rel(newname)
	if !ok1 || !ok2 {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: r.escapes}
	}
	err := r.root.Rename(oldrel, newrel)
	if err == nil {
		return nil
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return &os.LinkError{Op: "rename", Old: r.real(oldrel), New: r.real(newrel), Err: err}
}

// Stat returns the FileInfo of the named file, following symbolic links
// that stay beneath the root.
func (r *RootFs) Stat(name string) (fs.FileInfo, error) {
	rel, ok := r.rel(name)
	if !ok {
		return nil, r.escaped("stat", name)
	}
	fi, err := r.root.Stat(rel)
	if err != nil {
		return nil, r.pathErr(err, "stat", rel)
	}
	return r.info(fi, rel), nil
}

// LstatIfPossible is Stat without following a final symbolic link; the
// bool is always true, as with BasePathFs over OsFs.
func (r *RootFs) LstatIfPossible(name string) (fs.FileInfo, bool, error) {
	rel, ok := r.rel(name)
	if !ok {
		return nil, true, r.escaped("lstat", name)
	}
	fi, err := r.root.Lstat(rel)
	if err != nil {
		return nil, true, r.pathErr(err, "lstat", rel)
	}
	return r.info(fi, rel), true, nil
}

// Chmod changes the mode of the named file.
func (r *RootFs) Chmod(name string, mode fs.FileMode) error {
	rel, ok := r.rel(name)
	if !ok {
		return r.escaped("chmod", name)
	}
	return r.pathErr(r.root.Chmod(rel, mode), "chmod", rel)
}

// Chown changes the owner and group of the named file.
func (r *RootFs) Chown(name string, uid, gid int) error {
	rel, ok := r.rel(name)
	if !ok {
		return r.escaped("chown", name)
	}
	return r.pathErr(r.root.Chown(rel, uid, gid), "chown", rel)
}

// Chtimes changes the access and modification times of the named file; a
// zero time.Time leaves that time unchanged, as with os.Chtimes.
func (r *RootFs) Chtimes(name string, atime, mtime time.Time) error {
	rel, ok := r.rel(name)
	if !ok {
		return r.escaped("chtimes", name)
	}
	return r.pathErr(r.root.Chtimes(rel, atime, mtime), "chtimes", rel)
}

// SymlinkIfPossible creates newname as a symbolic link to oldname, like
// os.Root.Symlink: oldname is stored as given and checked only when the
// link is followed, so a link leading out is refused then.
func (r *RootFs) SymlinkIfPossible(oldname, newname string) error {
	rel, ok := r.rel(newname)
	if !ok {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: r.escapes}
	}
	err := r.root.Symlink(oldname, rel)
	if err == nil {
		return nil
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return &os.LinkError{Op: "symlink", Old: oldname, New: r.real(rel), Err: err}
}

// ReadlinkIfPossible returns the target of the named symbolic link.
func (r *RootFs) ReadlinkIfPossible(name string) (string, error) {
	rel, ok := r.rel(name)
	if !ok {
		return "", r.escaped("readlink", name)
	}
	target, err := r.root.Readlink(rel)
	return target, r.pathErr(err, "readlink", rel)
}

// rootFile is a file opened through a RootFs. Its Name is the name below
// the root, as a BasePathFile's is; every other method is the
// *uringfs.File's.
type rootFile struct {
	*uringfs.File
	name string
	// inner and real are set when the file's own name (inner) is not the
	// real path OsFs would report (real); errors naming inner are then
	// rewritten.
	inner, real string
}

var _ afero.File = (*rootFile)(nil)

// Name returns the name below the root, with its leading "/" (empty for
// the root itself), as afero.BasePathFile does.
func (f *rootFile) Name() string { return f.name }

func (f *rootFile) fix(err error) error {
	if f.inner == "" || err == nil {
		return err
	}
	if pe, ok := err.(*fs.PathError); ok && pe.Path == f.inner {
		return &fs.PathError{Op: pe.Op, Path: f.real, Err: pe.Err}
	}
	return err
}

func (f *rootFile) Close() error { return f.fix(f.File.Close()) }

func (f *rootFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	return n, f.fix(err)
}

func (f *rootFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	return n, f.fix(err)
}

func (f *rootFile) Seek(offset int64, whence int) (int64, error) {
	n, err := f.File.Seek(offset, whence)
	return n, f.fix(err)
}

func (f *rootFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.fix(err)
}

func (f *rootFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.fix(err)
}

func (f *rootFile) WriteString(s string) (int, error) {
	n, err := f.File.WriteString(s)
	return n, f.fix(err)
}

func (f *rootFile) Readdir(n int) ([]fs.FileInfo, error) {
	list, err := f.File.Readdir(n)
	return list, f.fix(err)
}

func (f *rootFile) Readdirnames(n int) ([]string, error) {
	names, err := f.File.Readdirnames(n)
	return names, f.fix(err)
}

func (f *rootFile) ReadDir(n int) ([]fs.DirEntry, error) {
	list, err := f.File.ReadDir(n)
	return list, f.fix(err)
}

func (f *rootFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, f.fix(err)
	}
	if f.inner != "" {
		fi = rootInfo{fi, filepath.Base(f.real)}
	}
	return fi, nil
}

func (f *rootFile) Sync() error { return f.fix(f.File.Sync()) }

func (f *rootFile) Truncate(size int64) error { return f.fix(f.File.Truncate(size)) }
