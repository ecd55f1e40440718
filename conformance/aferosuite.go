package conformance

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spf13/afero"
)

// CheckAferoFs runs the afero suite: every scenario runs against
// afero.NewOsFs() in one temporary directory and against impl in another,
// with absolute paths, and the observations must be identical. Besides the
// Fs methods it covers what afero's own wrappers rely on: a failed Open,
// Create or OpenFile returns a nil File interface (not a typed nil inside
// it), errors are *os.PathError holding the bare syscall.Errno (afero's
// CopyOnWriteFs compares Err == syscall.ENOENT), the optional Lstater and
// Symlinker interfaces, afero's helper functions, and impl used under
// BasePathFs, CopyOnWriteFs, ReadOnlyFs and IOFS. It returns nil or one
// error listing every difference.
func CheckAferoFs(impl afero.Fs) error {
	return checkAfero(impl).err("afero suite")
}

// TestAferoFs is [CheckAferoFs] for use in a test.
func TestAferoFs(t *testing.T, impl afero.Fs) {
	t.Helper()
	report(t, checkAfero(impl))
}

// aferoSide is one side of the comparison; the optional interfaces are
// those of the implementation, so both sides check the same things.
type aferoSide struct {
	fs                 afero.Fs
	lstater, symlinker bool
}

// optional returns the side's file system as I, an optional afero
// interface, and skips the scenario when the implementation lacks it (has).
func optional[I any](r *recorder, s aferoSide, has bool) I {
	if !has {
		r.skip("implementation is not an " + reflect.TypeFor[I]().String())
	}
	return s.fs.(I)
}

func checkAfero(impl afero.Fs) *result {
	_, lst := impl.(afero.Lstater)
	_, sym := impl.(afero.Symlinker)
	oracle := aferoSide{afero.NewOsFs(), lst, sym}
	side := aferoSide{impl, lst, sym}
	return runDiff(aferoScenarios, oracle, side, "impl", true)
}

// aopen records an afero open result; a typed nil inside the interface
// prints differently from a nil interface.
func aopen(r *recorder, label string, f afero.File, err error) afero.File {
	r.rec(label, fileResult{f}, err, rawErrno(err))
	if !isNil(f) {
		r.track(f)
		return f
	}
	return nil
}

// rawErrno renders the check afero's wrappers make: a *os.PathError whose
// Err field is the syscall.Errno itself.
func rawErrno(err error) string {
	if err == nil {
		return "raw=n/a"
	}
	pe, ok := err.(*os.PathError)
	if !ok {
		return "raw=not *os.PathError"
	}
	if errno, ok := pe.Err.(syscall.Errno); ok {
		return fmt.Sprintf("raw=errno %d, ==ENOENT:%v", int(errno), pe.Err == syscall.ENOENT)
	}
	return fmt.Sprintf("raw=%T", pe.Err)
}

func afix(r *recorder, name, data string) {
	p := pth(r, name)
	err := os.MkdirAll(filepath.Dir(p), 0o755)
	if err == nil {
		err = os.WriteFile(p, []byte(data), 0o644)
	}
	r.rec("fixture "+name, err)
}

var aferoScenarios = []scenario[aferoSide]{
	{"open-errors", func(r *recorder, s aferoSide) {
		afix(r, "exists", "x")
		f, err := s.fs.Open(pth(r, "missing"))
		aopen(r, "Open missing", f, err)
		f, err = s.fs.OpenFile(pth(r, "missing/x"), os.O_RDONLY, 0)
		aopen(r, "OpenFile missing dir", f, err)
		f, err = s.fs.OpenFile(pth(r, "exists"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		aopen(r, "OpenFile O_EXCL existing", f, err)
		f, err = s.fs.Create(pth(r, "missing/x"))
		aopen(r, "Create in missing dir", f, err)
		f, err = s.fs.Open(pth(r, "exists/x"))
		aopen(r, "Open under file", f, err)
		f, err = s.fs.Open(pth(r, "exists"))
		aopen(r, "Open existing", f, err)
		f, err = s.fs.Create(pth(r, "new"))
		aopen(r, "Create", f, err)
		f, err = s.fs.OpenFile(pth(r, "new2"), os.O_CREATE|os.O_RDWR, 0o600)
		aopen(r, "OpenFile create", f, err)
	}},
	{"name", func(r *recorder, s aferoSide) {
		a, b := s.fs.Name(), s.fs.Name()
		r.rec("Name non-empty and stable", a != "" && a == b)
	}},
	{"fs-methods", func(r *recorder, s aferoSide) {
		afix(r, "f", "content")
		r.rec("Mkdir", s.fs.Mkdir(pth(r, "d"), 0o750))
		r.rec("Mkdir existing", s.fs.Mkdir(pth(r, "d"), 0o750))
		r.rec("Mkdir missing parent", s.fs.Mkdir(pth(r, "x/y"), 0o750))
		r.rec("MkdirAll", s.fs.MkdirAll(pth(r, "a/b/c"), 0o755))
		r.rec("MkdirAll existing", s.fs.MkdirAll(pth(r, "a/b/c"), 0o755))
		r.rec("MkdirAll under file", s.fs.MkdirAll(pth(r, "f/x"), 0o755))
		fi, err := s.fs.Stat(pth(r, "d"))
		r.rec("Stat dir", fi, err)
		fi, err = s.fs.Stat(pth(r, "f"))
		r.rec("Stat file", fi, err)
		fi, err = s.fs.Stat(pth(r, "missing"))
		r.rec("Stat missing", fi, err, rawErrno(err))
		fi, err = s.fs.Stat(pth(r, "f/x"))
		r.rec("Stat under file", fi, err, rawErrno(err))
		r.rec("Chmod", s.fs.Chmod(pth(r, "f"), 0o600))
		r.rec("Chmod missing", s.fs.Chmod(pth(r, "missing"), 0o600))
		mt := time.Date(2003, 4, 5, 6, 7, 8, 9000, time.UTC)
		r.rec("Chtimes", s.fs.Chtimes(pth(r, "f"), mt, mt))
		fi, err = s.fs.Stat(pth(r, "f"))
		r.rec("Stat after Chmod/Chtimes", withTime{fi}, err)
		r.rec("Chtimes missing", s.fs.Chtimes(pth(r, "missing"), mt, mt))
		r.rec("Chown self", s.fs.Chown(pth(r, "f"), os.Getuid(), os.Getgid()))
		r.rec("Chown missing", s.fs.Chown(pth(r, "missing"), os.Getuid(), os.Getgid()))
		r.rec("Rename", s.fs.Rename(pth(r, "f"), pth(r, "g")))
		r.rec("Rename missing", s.fs.Rename(pth(r, "f"), pth(r, "h")))
		r.rec("Rename onto non-empty dir", s.fs.Rename(pth(r, "g"), pth(r, "a")))
		afix(r, "a/b/c/file", "x")
		r.rec("Remove non-empty", s.fs.Remove(pth(r, "a")))
		r.rec("Remove missing", s.fs.Remove(pth(r, "missing")))
		r.rec("Remove file", s.fs.Remove(pth(r, "g")))
		r.rec("Remove dir", s.fs.Remove(pth(r, "d")))
		r.rec("RemoveAll", s.fs.RemoveAll(pth(r, "a")))
		r.rec("RemoveAll missing", s.fs.RemoveAll(pth(r, "a")))
	}},
	{"file-methods", func(r *recorder, s aferoSide) {
		f, err := s.fs.OpenFile(pth(r, "f"), os.O_CREATE|os.O_RDWR, 0o644)
		f = aopen(r, "OpenFile", f, err)
		n, err := f.WriteString("hello world")
		r.rec("WriteString", n, err)
		n, err = f.WriteAt([]byte("W"), 6)
		r.rec("WriteAt", n, err)
		off, err := f.Seek(0, io.SeekStart)
		r.rec("Seek", off, err)
		buf := make([]byte, 20)
		n, err = f.Read(buf)
		r.rec("Read", n, err, buf[:clampN(n, len(buf))])
		n, err = f.Read(buf)
		r.rec("Read at EOF", n, err)
		n, err = f.ReadAt(buf, 3)
		r.rec("ReadAt short", n, err, buf[:clampN(n, len(buf))])
		r.rec("Truncate", f.Truncate(5))
		r.rec("Sync", f.Sync())
		fi, err := f.Stat()
		r.rec("Stat", fi, err)
		r.rec("Name", f.Name())
		r.rec("Close", f.Close())
		r.rec("Close again", f.Close())
		n, err = f.Read(buf)
		r.rec("Read after Close", n, err)
		afix(r, "d/x", "x")
		afix(r, "d/y", "y")
		d, err := s.fs.Open(pth(r, "d"))
		d = aopen(r, "Open dir", d, err)
		infos, err := d.Readdir(1)
		r.rec("Readdir(1)", len(infos), err)
		infos, err = d.Readdir(-1)
		r.rec("Readdir(-1)", len(infos), err)
		infos, err = d.Readdir(1)
		r.rec("Readdir(1) at end", infos, err)
		off, err = d.Seek(0, io.SeekStart)
		r.rec("Seek dir", off, err)
		names, err := d.Readdirnames(-1)
		r.rec("Readdirnames after Seek", names, err)
		n, err = d.Read(buf)
		r.rec("Read dir", n, err)
	}},
	{"lstater", func(r *recorder, s aferoSide) {
		l := optional[afero.Lstater](r, s, s.lstater)
		afix(r, "f", "x")
		r.rec("symlink fixture", os.Symlink("f", pth(r, "l")))
		for _, name := range []string{"l", "f", "missing"} {
			fi, ok, err := l.LstatIfPossible(pth(r, name))
			r.rec("LstatIfPossible "+name, fi, ok, err, rawErrno(err))
		}
	}},
	{"symlinker", func(r *recorder, s aferoSide) {
		l := optional[afero.Symlinker](r, s, s.symlinker)
		afix(r, "f", "x")
		r.rec("SymlinkIfPossible", l.SymlinkIfPossible("f", pth(r, "l")))
		r.rec("SymlinkIfPossible existing", l.SymlinkIfPossible("f", pth(r, "l")))
		r.rec("SymlinkIfPossible missing dir", l.SymlinkIfPossible("f", pth(r, "no/l")))
		for _, name := range []string{"l", "f", "missing"} {
			target, err := l.ReadlinkIfPossible(pth(r, name))
			r.rec("ReadlinkIfPossible "+name, target, err, rawErrno(err))
		}
	}},
	{"helpers", func(r *recorder, s aferoSide) {
		afix(r, "tree/a/1.txt", "one")
		afix(r, "tree/a/2.log", "two")
		afix(r, "tree/b/3.txt", "three")
		r.rec("WriteFile", afero.WriteFile(s.fs, pth(r, "w"), []byte("written"), 0o640))
		r.rec("WriteFile missing dir", afero.WriteFile(s.fs, pth(r, "no/w"), []byte("x"), 0o640))
		b, err := afero.ReadFile(s.fs, pth(r, "w"))
		r.rec("ReadFile", b, err)
		b, err = afero.ReadFile(s.fs, pth(r, "missing"))
		r.rec("ReadFile missing", b, err)
		b, err = afero.ReadFile(s.fs, pth(r, "tree"))
		r.rec("ReadFile dir", b, err)
		infos, err := afero.ReadDir(s.fs, pth(r, "tree/a"))
		r.rec("ReadDir", infos, err)
		f, err := afero.TempFile(s.fs, pth(r, "tree"), "tmp-*.txt")
		if f = aopen(r, "TempFile", f, err); f != nil {
			base := filepath.Base(f.Name())
			r.rec("TempFile name", filepath.Dir(f.Name()), strings.HasPrefix(base, "tmp-") && strings.HasSuffix(base, ".txt"))
			r.rec("TempFile Close", f.Close())
			r.rec("TempFile Remove", s.fs.Remove(f.Name()))
		}
		// The error names a random file: compare its kind only.
		f, err = afero.TempFile(s.fs, pth(r, "missing"), "tmp-*")
		r.rec("TempFile in missing dir", fileResult{f}, rawErrno(err), errors.Is(err, fs.ErrNotExist))
		r.track(f)
		name, err := afero.TempDir(s.fs, pth(r, "tree"), "td")
		r.rec("TempDir", filepath.Dir(name), strings.HasPrefix(filepath.Base(name), "td"), err)
		if err == nil {
			r.rec("TempDir Remove", s.fs.Remove(name))
		}
		for _, name := range []string{"w", "tree", "missing", "w/x"} {
			ok, err := afero.Exists(s.fs, pth(r, name))
			r.rec("Exists "+name, ok, err)
			ok, err = afero.DirExists(s.fs, pth(r, name))
			r.rec("DirExists "+name, ok, err)
			ok, err = afero.IsDir(s.fs, pth(r, name))
			r.rec("IsDir "+name, ok, err)
			ok, err = afero.IsEmpty(s.fs, pth(r, name))
			r.rec("IsEmpty "+name, ok, err)
		}
		var walked []string
		err = afero.Walk(s.fs, pth(r, "tree"), func(p string, info fs.FileInfo, err error) error {
			walked = append(walked, r.norm(p)+" "+r.format(info)+" "+r.format(err))
			return nil
		})
		r.rec("Walk", ordered(walked), err)
		m, err := afero.Glob(s.fs, pth(r, "tree/*/*.txt"))
		r.rec("Glob", ordered(m), err)
		m, err = afero.Glob(s.fs, pth(r, "tree/["))
		r.rec("Glob bad pattern", m, err)
	}},
	{"basepath", func(r *recorder, s aferoSide) {
		afix(r, "base/f", "in base")
		afix(r, "outside", "outside")
		bp := afero.NewBasePathFs(s.fs, pth(r, "base"))
		b, err := afero.ReadFile(bp, "/f")
		r.rec("ReadFile", b, err)
		f, err := bp.Open("/missing")
		aopen(r, "Open missing", f, err)
		f, err = bp.Open("/../outside")
		aopen(r, "Open ..", f, err)
		r.rec("WriteFile", afero.WriteFile(bp, "/sub-missing/x", []byte("x"), 0o644))
		r.rec("MkdirAll", bp.MkdirAll("/sub/dir", 0o755))
		r.rec("WriteFile in sub", afero.WriteFile(bp, "/sub/dir/x", []byte("x"), 0o644))
		fi, err := bp.Stat("/sub/dir/x")
		r.rec("Stat", fi, err)
		r.rec("Rename", bp.Rename("/sub/dir/x", "/sub/y"))
		r.rec("Remove missing", bp.Remove("/nothing"))
		fi, err = bp.Stat("/nothing")
		r.rec("Stat missing", fi, err)
	}},
	{"copy-on-write", func(r *recorder, s aferoSide) {
		afix(r, "f", "base content")
		afix(r, "d/a", "a")
		cow := afero.NewCopyOnWriteFs(s.fs, afero.NewMemMapFs())
		b, err := afero.ReadFile(cow, pth(r, "f"))
		r.rec("ReadFile from base", b, err)
		fi, err := cow.Stat(pth(r, "missing"))
		r.rec("Stat missing", fi, err)
		fi, err = cow.Stat(pth(r, "f/x"))
		r.rec("Stat under file", fi, err)
		f, err := cow.OpenFile(pth(r, "f"), os.O_RDWR, 0)
		if f = aopen(r, "OpenFile base file for writing", f, err); f != nil {
			n, err := f.WriteAt([]byte("LAYER"), 0)
			r.rec("WriteAt", n, err)
			r.rec("Close", f.Close())
		}
		b, err = afero.ReadFile(cow, pth(r, "f"))
		r.rec("ReadFile after copy-up", b, err)
		r.rec("WriteFile new", afero.WriteFile(cow, pth(r, "d/new"), []byte("new"), 0o644))
		fi, err = cow.Stat(pth(r, "d/new"))
		r.rec("Stat new (layer only)", fi, err)
		f, err = cow.Open(pth(r, "d"))
		if f = aopen(r, "Open merged dir", f, err); f != nil {
			names, err := f.Readdirnames(-1)
			r.rec("Readdirnames merged", names, err)
		}
		f, err = cow.Open(pth(r, "missing"))
		aopen(r, "Open missing", f, err)
		r.rec("Remove base-only file", cow.Remove(pth(r, "d/a")))
		r.rec("Mkdir existing in base", cow.Mkdir(pth(r, "d"), 0o755))
		r.rec("MkdirAll new", cow.MkdirAll(pth(r, "n/m"), 0o755))
		ok, err := afero.Exists(cow, pth(r, "n/m"))
		r.rec("Exists layer dir", ok, err)
	}},
	{"read-only", func(r *recorder, s aferoSide) {
		afix(r, "f", "x")
		ro := afero.NewReadOnlyFs(s.fs)
		b, err := afero.ReadFile(ro, pth(r, "f"))
		r.rec("ReadFile", b, err)
		f, err := ro.Create(pth(r, "g"))
		aopen(r, "Create", f, err)
		f, err = ro.OpenFile(pth(r, "f"), os.O_WRONLY, 0)
		aopen(r, "OpenFile O_WRONLY", f, err)
		r.rec("Remove", ro.Remove(pth(r, "f")))
		fi, err := ro.Stat(pth(r, "missing"))
		r.rec("Stat missing", fi, err)
		if lst, ok := ro.(afero.Lstater); ok {
			fi, used, err := lst.LstatIfPossible(pth(r, "f"))
			r.rec("LstatIfPossible", fi, used, err)
		}
	}},
	{"iofs", func(r *recorder, s aferoSide) {
		var expected []string
		for _, f := range treeFiles {
			afix(r, "tree/"+f.name, f.data)
			expected = append(expected, f.name)
		}
		iofs := afero.NewIOFS(afero.NewBasePathFs(s.fs, pth(r, "tree")))
		err := fstest.TestFS(iofs, expected...)
		r.rec("fstest.TestFS", err)
		_, err = iofs.Open("missing")
		r.rec("Open missing", err)
		_, err = iofs.Open("../x")
		r.rec("Open invalid", err)
		list, err := iofs.ReadDir("a")
		r.rec("ReadDir", orderedEntries(list), err)
		b, err := iofs.ReadFile("a/file.txt")
		r.rec("ReadFile", b, err)
		fi, err := iofs.Stat("a/b")
		r.rec("Stat", fi, err)
	}},
}
