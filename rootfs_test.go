package uring

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/uringfs/uring/conformance"
	"github.com/uringfs/uring/internal/testkit"
)

// The differential tests here run one afero program against
// afero.NewBasePathFs(afero.NewOsFs(), dirA) and against NewRootFs(dirB),
// each over its own fresh directory, and require the transcripts (every
// result and error, the directory replaced by $ROOT) and the trees left
// behind to be identical.

// rfsRec is one run's transcript (see testkit.Recorder), in which root
// reads $DIR.
type rfsRec struct {
	*testkit.Recorder
	root string
}

func newRfsRec(root string) *rfsRec { return &rfsRec{testkit.NewRecorder(root), root} }

// fix creates a fixture file with os, the same on both sides.
func (r *rfsRec) fix(name, data string) {
	p := filepath.Join(r.root, name)
	err := os.MkdirAll(filepath.Dir(p), 0o755)
	if err == nil {
		err = os.WriteFile(p, []byte(data), 0o644)
	}
	r.Record("fixture "+name, err)
}

// link creates a fixture symbolic link with os.
func (r *rfsRec) link(target, name string) {
	r.Record("fixture link "+name, os.Symlink(target, filepath.Join(r.root, name)))
}

// rfsDir returns a fresh directory with symbolic links in its path
// resolved, so that the kernel's paths and ours agree.
func rfsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

type rfsProgram func(r *rfsRec, fsys afero.Fs)

// rfsBasePath and rfsOurs make the two sides over a directory.
func rfsBasePath(t *testing.T, dir string) afero.Fs { return afero.NewBasePathFs(afero.NewOsFs(), dir) }

func rfsOurs(t *testing.T, dir string) afero.Fs {
	t.Helper()
	r, err := NewRootFs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// rfsDiff runs prog on both sides and returns every difference.
func rfsDiff(t *testing.T, prog rfsProgram, oracle, impl func(*testing.T, string) afero.Fs) []string {
	t.Helper()
	run := func(mk func(*testing.T, string) afero.Fs) (*rfsRec, testkit.Tree) {
		r := newRfsRec(rfsDir(t))
		prog(r, mk(t, r.root))
		return r, testkit.Snapshot(r.root, nil)
	}
	want, wantTree := run(oracle)
	got, gotTree := run(impl)
	diffs := testkit.Differences("BasePathFs", "RootFs", want.Steps(), got.Steps(), 0)
	if d := wantTree.Diff(gotTree, "BasePathFs", "RootFs"); d != "" {
		diffs = append(diffs, "trees differ:\n"+d)
	}
	return diffs
}

// rfsPrograms are the programs run against both sides. Names are written
// the ways callers of BasePathFs write them: with and without a leading
// "/", with "." and ".." elements that stay inside, doubled and trailing
// slashes.
var rfsPrograms = []struct {
	name string
	prog rfsProgram
}{
	{"file-methods", func(r *rfsRec, fsys afero.Fs) {
		f, err := fsys.Create("/a.txt")
		r.Record("create", f, err)
		if err != nil {
			return
		}
		n, err := f.WriteString("hello, ")
		r.Record("writestring", n, err)
		n, err = f.Write([]byte("world\n"))
		r.Record("write", n, err)
		n, err = f.WriteAt([]byte("W"), 7)
		r.Record("writeat", n, err)
		off, err := f.Seek(2, io.SeekStart)
		r.Record("seek", off, err)
		buf := make([]byte, 4)
		n, err = f.Read(buf)
		r.Record("read", n, err, buf[:n])
		n, err = f.ReadAt(buf, 12)
		r.Record("readat at end", n, err, buf[:n])
		n, err = f.ReadAt(buf, -1)
		r.Record("readat negative", n, err)
		fi, err := f.Stat()
		r.Record("stat", fi, err)
		r.Record("sync", f.Sync())
		r.Record("truncate", f.Truncate(5))
		r.Record("truncate negative", f.Truncate(-1))
		r.Record("name", f.Name())
		r.Record("close", f.Close())
		r.Record("close again", f.Close())
		n, err = f.Read(buf)
		r.Record("read after close", n, err)
		n, err = f.Write(buf)
		r.Record("write after close", n, err)
		_, err = f.Stat()
		r.Record("stat after close", err)

		f, err = fsys.Open("a.txt")
		r.Record("open", f, err)
		if err == nil {
			data, err := io.ReadAll(f)
			r.Record("readall", data, err)
			n, err := f.Write([]byte("x"))
			r.Record("write read-only", n, err)
			r.Record("close", f.Close())
		}
		f, err = fsys.OpenFile("/log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		r.Record("openfile append", f, err)
		if err == nil {
			n, err := f.WriteString("one\n")
			r.Record("append", n, err)
			n, err = f.WriteAt([]byte("x"), 0)
			r.Record("writeat on append", n, err)
			r.Record("close", f.Close())
		}
		f, err = fsys.OpenFile("/log", os.O_RDWR|os.O_TRUNC, 0)
		r.Record("openfile trunc", f, err)
		if err == nil {
			r.Record("close", f.Close())
		}
	}},
	{"open-errors", func(r *rfsRec, fsys afero.Fs) {
		r.fix("exists", "x")
		r.fix("d/in", "y")
		for _, c := range []struct {
			name string
			flag int
		}{
			{"/missing", os.O_RDONLY},
			{"missing/x", os.O_RDONLY},
			{"/missing/x", os.O_CREATE | os.O_WRONLY},
			{"/exists/x", os.O_RDONLY},
			{"/exists/x", os.O_CREATE | os.O_WRONLY},
			{"/exists", os.O_CREATE | os.O_EXCL | os.O_WRONLY},
			{"/d", os.O_WRONLY},
			{"/", os.O_RDWR},
			{"", os.O_WRONLY},
			{"/d", os.O_CREATE | os.O_EXCL | os.O_RDONLY},
			{"/d/in", os.O_RDONLY | os.O_CREATE | os.O_EXCL},
		} {
			f, err := fsys.OpenFile(c.name, c.flag, 0o644)
			r.Record(fmt.Sprintf("openfile %q %#x", c.name, c.flag), f, err)
			if f != nil {
				f.Close()
			}
		}
		f, err := fsys.Create("/d")
		r.Record("create over dir", f, err)
		f, err = fsys.Open("/d/in/")
		r.Record("open file with trailing slash", f, err)
		if f != nil {
			f.Close()
		}
	}},
	{"names", func(r *rfsRec, fsys afero.Fs) {
		r.fix("a.txt", "A")
		r.fix("d/e/b.txt", "B")
		for _, name := range []string{
			"a.txt", "/a.txt", "//a.txt", "./a.txt", "/./a.txt", "/d/../a.txt",
			"d/e/../../a.txt", "a.txt/", "d/e/", "d//e///b.txt", "", "/", ".", "/.",
			"./", "d/..", "/d/e/..", "d/./e/./b.txt", "nul\x00name", "/missing/../a.txt",
		} {
			fi, err := fsys.Stat(name)
			r.Record(fmt.Sprintf("stat %q", name), fi, err)
			f, err := fsys.Open(name)
			r.Record(fmt.Sprintf("open %q", name), f, err)
			if f != nil {
				fi, err := f.Stat()
				r.Record("  file stat", fi, err)
				r.Record("  close", f.Close())
			}
		}
	}},
	{"directories", func(r *rfsRec, fsys afero.Fs) {
		r.fix("file", "x")
		r.Record("mkdir", fsys.Mkdir("/d", 0o750))
		r.Record("mkdir existing", fsys.Mkdir("d", 0o750))
		r.Record("mkdir missing parent", fsys.Mkdir("/x/y", 0o750))
		r.Record("mkdir under file", fsys.Mkdir("/file/y", 0o750))
		r.Record("mkdir root", fsys.Mkdir("/", 0o750))
		r.Record("mkdir with type bits", fsys.Mkdir("/typed", os.ModeDir|0o700))
		r.Record("mkdirall", fsys.MkdirAll("/d/e/f", 0o700))
		r.Record("mkdirall existing", fsys.MkdirAll("d/e", 0o700))
		r.Record("mkdirall over file", fsys.MkdirAll("/file", 0o700))
		r.Record("mkdirall under file", fsys.MkdirAll("/file/g/h", 0o700))
		r.Record("mkdirall root", fsys.MkdirAll("/", 0o700))
		r.Record("mkdirall trailing slash", fsys.MkdirAll("/m/n/", 0o755))
		for _, name := range []string{"d/1", "d/2", "d/3", "d/e/4"} {
			f, err := fsys.Create(name)
			if f != nil {
				f.Close()
			}
			r.Record("create "+name, err)
		}
		f, err := fsys.Open("/d")
		r.Record("open dir", f, err)
		if f != nil {
			names, err := f.Readdirnames(-1)
			r.Record("readdirnames", testkit.Sorted(names), err)
			_, err = f.Seek(0, io.SeekStart)
			r.Record("seek", err)
			list, err := f.Readdir(-1)
			r.Record("readdir", testkit.Sorted(list), err)
			buf := make([]byte, 1)
			n, err := f.Read(buf)
			r.Record("read dir", n, err)
			r.Record("close", f.Close())
			_, err = f.Readdirnames(-1)
			r.Record("readdirnames after close", err)
		}
		f, err = fsys.Open("/")
		r.Record("open root", f, err)
		if f != nil {
			names, err := f.Readdirnames(-1)
			r.Record("readdirnames root", testkit.Sorted(names), err)
			n, err := f.Read(make([]byte, 1))
			r.Record("read root", n, err)
			n, err = f.Write([]byte("x"))
			r.Record("write root", n, err)
			r.Record("truncate root", f.Truncate(0))
			fi, err := f.Stat()
			r.Record("stat root", fi, err)
			r.Record("close root", f.Close())
			r.Record("close root again", f.Close())
			_, err = f.Stat()
			r.Record("stat root after close", err)
		}
		if rdf, ok := mustOpen(fsys, "/d").(fs.ReadDirFile); ok {
			list, err := rdf.ReadDir(-1)
			r.Record("readdir entries", testkit.Sorted(list), err)
			rdf.Close()
		} else {
			r.Record("open d as fs.ReadDirFile", false)
		}
	}},
	{"remove", func(r *rfsRec, fsys afero.Fs) {
		r.fix("f", "x")
		r.fix("full/a", "a")
		r.fix("full/sub/b", "b")
		r.Record("mkdir empty", fsys.Mkdir("/empty", 0o755))
		r.Record("remove file", fsys.Remove("/f"))
		r.Record("remove missing", fsys.Remove("f"))
		r.Record("remove in missing dir", fsys.Remove("/nodir/f"))
		r.Record("remove non-empty dir", fsys.Remove("/full"))
		r.Record("remove empty dir", fsys.Remove("empty/"))
		r.Record("removeall missing", fsys.RemoveAll("/nothing/here"))
		r.Record("removeall file", fsys.RemoveAll("/full/a"))
		r.Record("removeall dir", fsys.RemoveAll("/full"))
		_, err := fsys.Stat("/full")
		r.Record("stat removed", err)
	}},
	{"rename", func(r *rfsRec, fsys afero.Fs) {
		r.fix("a", "A")
		r.fix("b", "B")
		r.fix("d/in", "I")
		r.fix("e/in", "E")
		r.Record("rename", fsys.Rename("/a", "/a2"))
		r.Record("rename missing", fsys.Rename("/a", "/a3"))
		r.Record("rename over file", fsys.Rename("b", "/a2"))
		r.Record("rename onto dir", fsys.Rename("/a2", "/d"))
		r.Record("rename dir onto dir", fsys.Rename("/d", "/e"))
		r.Record("rename dir into itself", fsys.Rename("/d", "/d/sub"))
		r.Record("rename into missing dir", fsys.Rename("/a2", "/no/a2"))
		r.Record("rename to itself", fsys.Rename("/a2", "a2"))
		r.Record("rename dir", fsys.Rename("/d", "/d2/"))
		r.Record("rename under file", fsys.Rename("/a2", "/a2/x"))
	}},
	{"attributes", func(r *rfsRec, fsys afero.Fs) {
		r.fix("f", "x")
		r.Record("chmod", fsys.Chmod("/f", 0o600))
		fi, err := fsys.Stat("/f")
		r.Record("stat", fi, err)
		r.Record("chmod missing", fsys.Chmod("/missing", 0o600))
		r.Record("chmod dir", fsys.Chmod("/", 0o755))
		mt := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
		r.Record("chtimes", fsys.Chtimes("f", mt, mt))
		fi, err = fsys.Stat("/f")
		r.Record("mtime", err, testkit.WithModTime(fi))
		r.Record("chtimes zero atime", fsys.Chtimes("f", time.Time{}, mt.Add(time.Hour)))
		fi, err = fsys.Stat("/f")
		r.Record("mtime", err, testkit.WithModTime(fi))
		r.Record("chtimes missing", fsys.Chtimes("/missing", mt, mt))
		r.Record("chmod special bits", fsys.Chmod("/f", 0o755|os.ModeSetuid|os.ModeSticky))
		fi, err = fsys.Stat("/f")
		r.Record("stat", fi, err)
		for _, c := range []struct {
			name string
			flag int
		}{
			{"/new-setgid", os.O_CREATE | os.O_RDWR},
			{"/new-excl", os.O_CREATE | os.O_EXCL | os.O_WRONLY},
			{"/f", os.O_CREATE | os.O_RDWR},
			{"/f", os.O_CREATE | os.O_EXCL | os.O_RDWR},
		} {
			f, err := fsys.OpenFile(c.name, c.flag, 0o751|os.ModeSetgid|os.ModeSetuid)
			r.Record(fmt.Sprintf("openfile special bits %s %#x", c.name, c.flag), f, err)
			if f != nil {
				fi, err := f.Stat()
				r.Record("  stat", fi, err)
				f.Close()
			}
		}
		r.Record("mkdir sticky", fsys.Mkdir("/sticky", 0o770|os.ModeSticky|os.ModeSetuid))
		fi, err = fsys.Stat("/sticky")
		r.Record("stat", fi, err)
		r.Record("mkdirall sticky", fsys.MkdirAll("/s1/s2", 0o750|os.ModeSticky))
		fi, err = fsys.Stat("/s1")
		r.Record("stat", fi, err)
		r.Record("chown", fsys.Chown("/f", os.Getuid(), os.Getgid()))
		r.Record("chown missing", fsys.Chown("/missing", os.Getuid(), os.Getgid()))
	}},
	{"links", func(r *rfsRec, fsys afero.Fs) {
		r.fix("target.txt", "T")
		r.fix("sub/deep/x", "X")
		r.link("target.txt", "ln")
		r.link("sub", "dl")
		r.link("nowhere", "dangling")
		r.link("..", "sub/up")
		r.link("deep/../..", "sub/up2")
		r.link("loop2", "loop1")
		r.link("loop1", "loop2")
		ls := fsys.(afero.Lstater)
		lr := fsys.(afero.LinkReader)
		for _, name := range []string{"ln", "/dl", "dangling", "target.txt", "missing", "sub/up", "loop1", "/dl/deep/x", "sub/up/target.txt", "sub/up2/ln"} {
			fi, ok, err := ls.LstatIfPossible(name)
			r.Record("lstat "+name, fi, ok, err)
			fi, err = fsys.Stat(name)
			r.Record("stat "+name, fi, err)
			target, err := lr.ReadlinkIfPossible(name)
			r.Record("readlink "+name, target, err)
			f, err := fsys.Open(name)
			r.Record("open "+name, f, err)
			if f != nil {
				data, err := io.ReadAll(f)
				r.Record("  read", data, err)
				f.Close()
			}
		}
		// Lexically "dl/.." is the root, whatever dl points at.
		fi, err := fsys.Stat("/dl/../target.txt")
		r.Record("stat dl/../target.txt", fi, err)
		f, err := fsys.OpenFile("/dangling", os.O_CREATE|os.O_WRONLY, 0o644)
		r.Record("create through dangling link", f, err)
		if f != nil {
			f.Close()
		}
		r.Record("chmod through link", fsys.Chmod("/ln", 0o640))
		r.Record("mkdirall through dir link", fsys.MkdirAll("/dl/new/deeper", 0o755))
		r.Record("mkdir over link", fsys.Mkdir("/ln", 0o755))
		r.Record("rename link", fsys.Rename("/ln", "/ln2"))
		r.Record("remove link to dir", fsys.Remove("/dl"))
		r.Record("removeall loop", fsys.RemoveAll("/loop1"))
	}},
	{"helpers", func(r *rfsRec, fsys afero.Fs) {
		r.Record("WriteFile", afero.WriteFile(fsys, "/w/x.txt", []byte("data"), 0o644))
		r.Record("MkdirAll", fsys.MkdirAll("/w/y/z", 0o755))
		r.Record("WriteFile", afero.WriteFile(fsys, "/w/y/z/deep.txt", []byte("deep"), 0o600))
		data, err := afero.ReadFile(fsys, "w/x.txt")
		r.Record("ReadFile", data, err)
		_, err = afero.ReadFile(fsys, "/w/none")
		r.Record("ReadFile missing", err)
		list, err := afero.ReadDir(fsys, "/w")
		r.Record("ReadDir", testkit.Sorted(list), err)
		ok, err := afero.Exists(fsys, "/w/x.txt")
		r.Record("Exists", ok, err)
		ok, err = afero.Exists(fsys, "/w/none")
		r.Record("Exists missing", ok, err)
		ok, err = afero.DirExists(fsys, "/w/y")
		r.Record("DirExists", ok, err)
		ok, err = afero.IsEmpty(fsys, "/w/y")
		r.Record("IsEmpty", ok, err)
		var walked []string
		err = afero.Walk(fsys, "/", func(path string, info fs.FileInfo, err error) error {
			walked = append(walked, fmt.Sprintf("%s %v %v", path, info.Mode(), err))
			return nil
		})
		r.Record("Walk", walked, err)
		data, err = fs.ReadFile(afero.NewIOFS(fsys), "w/y/z/deep.txt")
		r.Record("IOFS ReadFile", data, err)
		entries, err := fs.ReadDir(afero.NewIOFS(fsys), "w")
		r.Record("IOFS ReadDir", testkit.Sorted(entries), err)
		ro := afero.NewReadOnlyFs(fsys)
		_, err = ro.Create("/w/ro")
		r.Record("ReadOnlyFs create", err)
		data, err = afero.ReadFile(ro, "/w/x.txt")
		r.Record("ReadOnlyFs read", data, err)
		cow := afero.NewCopyOnWriteFs(afero.NewReadOnlyFs(fsys), afero.NewMemMapFs())
		r.Record("CopyOnWriteFs write", afero.WriteFile(cow, "/w/x.txt", []byte("layer"), 0o644))
		data, err = afero.ReadFile(cow, "/w/x.txt")
		r.Record("CopyOnWriteFs read", data, err)
		_, err = cow.Stat("/w/none")
		r.Record("CopyOnWriteFs stat missing", err)
	}},
}

func mustOpen(fsys afero.Fs, name string) afero.File {
	f, err := fsys.Open(name)
	if err != nil {
		return nil
	}
	return f
}

func TestRootFsMatchesBasePathFs(t *testing.T) {
	for _, p := range rfsPrograms {
		t.Run(p.name, func(t *testing.T) {
			for _, d := range rfsDiff(t, p.prog, rfsBasePath, rfsOurs) {
				t.Error(d)
			}
		})
	}
}

// leakyRootFs reports the name as given in its Stat errors, where
// BasePathFs reports the real path; the comparison must notice.
type leakyRootFs struct{ *RootFs }

func (l leakyRootFs) Stat(name string) (fs.FileInfo, error) {
	fi, err := l.RootFs.Stat(name)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = name
	}
	return fi, err
}

// typedNilRootFs returns a typed nil inside the afero.File on error.
type typedNilRootFs struct{ *RootFs }

func (l typedNilRootFs) Open(name string) (afero.File, error) {
	f, err := l.RootFs.Open(name)
	if err != nil {
		return (*rootFile)(nil), err
	}
	return f, nil
}

func TestRootFsHarnessDetectsDifferences(t *testing.T) {
	prog := func(r *rfsRec, fsys afero.Fs) {
		f, err := fsys.Open("/missing")
		r.Record("open missing", f, err)
		_, err = fsys.Stat("/missing")
		r.Record("stat missing", err)
		r.Record("mkdir", fsys.Mkdir("/d", 0o755))
	}
	if d := rfsDiff(t, prog, rfsBasePath, rfsBasePath); len(d) != 0 {
		t.Errorf("BasePathFs against itself differs: %v", d)
	}
	if d := rfsDiff(t, prog, rfsBasePath, rfsOurs); len(d) != 0 {
		t.Errorf("RootFs differs: %v", d)
	}
	broken := map[string]func(*testing.T, string) afero.Fs{
		"leaky error path": func(t *testing.T, dir string) afero.Fs { return leakyRootFs{rfsOurs(t, dir).(*RootFs)} },
		"typed nil":        func(t *testing.T, dir string) afero.Fs { return typedNilRootFs{rfsOurs(t, dir).(*RootFs)} },
		"no Mkdir":         func(t *testing.T, dir string) afero.Fs { return afero.NewReadOnlyFs(rfsOurs(t, dir)) },
	}
	for name, mk := range broken {
		if d := rfsDiff(t, prog, rfsBasePath, mk); len(d) == 0 {
			t.Errorf("%s: difference not detected", name)
		}
	}
}

// slashNames gives a RootFs over "/" the file names OsFs gives: BasePathFs
// over "/" (and so RootFs) trims the leading "/" from them.
type slashNames struct{ *RootFs }

func (s slashNames) wrap(f afero.File, err error) (afero.File, error) {
	if f == nil {
		return nil, err
	}
	return slashFile{f.(*rootFile)}, err
}

func (s slashNames) Create(name string) (afero.File, error) { return s.wrap(s.RootFs.Create(name)) }
func (s slashNames) Open(name string) (afero.File, error)   { return s.wrap(s.RootFs.Open(name)) }
func (s slashNames) OpenFile(name string, flag int, perm fs.FileMode) (afero.File, error) {
	return s.wrap(s.RootFs.OpenFile(name, flag, perm))
}

type slashFile struct{ *rootFile }

func (f slashFile) Name() string { return "/" + f.rootFile.Name() }

// TestRootFsConformance runs the conformance afero suite, which compares
// with OsFs using absolute paths, against a RootFs over "/": there, absolute
// paths name the same files for both. File names are the one thing
// BasePathFs's convention changes (a leading "/" trimmed); slashNames puts
// it back.
func TestRootFsConformance(t *testing.T) {
	r, err := NewRootFs("/")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	conformance.TestAferoFs(t, slashNames{r})
}

// TestRootFsNames checks the file names and the infos of the root, which
// the Root names differently from OsFs.
func TestRootFsNames(t *testing.T) {
	dir := rfsDir(t)
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{dir, dir + "/", dir + "/."} {
		r, err := NewRootFs(base)
		if err != nil {
			t.Fatal(err)
		}
		bp := afero.NewBasePathFs(afero.NewOsFs(), base)
		for _, name := range []string{"/", "", "f", "/f", "./f"} {
			want, err1 := bp.Open(name)
			got, err2 := r.Open(name)
			if err1 != nil || err2 != nil {
				t.Fatalf("Open(%q) under %q: BasePathFs %v, RootFs %v", name, base, err1, err2)
			}
			if want.Name() != got.Name() {
				t.Errorf("Open(%q) under %q: Name() BasePathFs %q, RootFs %q", name, base, want.Name(), got.Name())
			}
			wfi, err1 := want.Stat()
			gfi, err2 := got.Stat()
			switch {
			case err1 != nil || err2 != nil:
				t.Errorf("Stat of Open(%q) under %q: BasePathFs %v, RootFs %v", name, base, err1, err2)
			case wfi.Name() != gfi.Name():
				t.Errorf("Open(%q) under %q: Stat().Name() BasePathFs %q, RootFs %q", name, base, wfi.Name(), gfi.Name())
			}
			want.Close()
			got.Close()
		}
		r.Close()
	}
}

// escapeSetup builds, in a fresh directory top:
//
//	top/app/            the root handed to both Fs
//	top/app/sub/up      -> ../..      (".." through a link)
//	top/app/linkout     -> ../outside (relative link out)
//	top/app/abslink     -> top/outside (absolute link out)
//	top/app/absfile     -> top/outside/secret
//	top/app/inside.txt
//	top/outside/secret  "SECRET"
//	top/app-secret/x    "SECRET" (prefix sibling of app)
func escapeSetup(t *testing.T) (top, app string) {
	t.Helper()
	top = rfsDir(t)
	app = filepath.Join(top, "app")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(app, "sub"), 0o755))
	must(os.MkdirAll(filepath.Join(top, "outside"), 0o755))
	must(os.MkdirAll(filepath.Join(top, "app-secret"), 0o755))
	must(os.WriteFile(filepath.Join(top, "outside", "secret"), []byte("SECRET"), 0o644))
	must(os.WriteFile(filepath.Join(top, "app-secret", "x"), []byte("SECRET"), 0o644))
	must(os.WriteFile(filepath.Join(app, "inside.txt"), []byte("inside"), 0o644))
	must(os.Symlink("../..", filepath.Join(app, "sub", "up")))
	must(os.Symlink("../outside", filepath.Join(app, "linkout")))
	must(os.Symlink(filepath.Join(top, "outside"), filepath.Join(app, "abslink")))
	must(os.Symlink(filepath.Join(top, "outside", "secret"), filepath.Join(app, "absfile")))
	return top, app
}

// outsideState records everything but what app holds, owners included,
// to tell whether an operation touched it.
func outsideState(t *testing.T, top string) testkit.Tree {
	t.Helper()
	return testkit.Snapshot(top, &testkit.SnapshotOptions{Owner: true, Opaque: func(rel string) bool { return rel == "app" }})
}

// escapeGid is the group the Chown escape cases give: as root one no
// fixture file has, so that a chown that escapes shows; otherwise the
// caller's own, the only one BasePathFs can give, so that it lets the
// case through.
func escapeGid() int {
	if os.Geteuid() == 0 {
		return 4242
	}
	return os.Getgid()
}

// An escape case returns what it read (if anything) and the error.
type escapeCase struct {
	name string
	op   func(fsys afero.Fs) (string, error)
}

func readAll(fsys afero.Fs, name string) (string, error) {
	data, err := afero.ReadFile(fsys, name)
	return string(data), err
}

var escapeCases = []escapeCase{
	{"Open symlink out", func(f afero.Fs) (string, error) { return readAll(f, "/linkout/secret") }},
	{"Open absolute symlink dir", func(f afero.Fs) (string, error) { return readAll(f, "abslink/secret") }},
	{"Open absolute symlink file", func(f afero.Fs) (string, error) { return readAll(f, "/absfile") }},
	{"Open .. through symlink", func(f afero.Fs) (string, error) { return readAll(f, "/sub/up/outside/secret") }},
	{"Open prefix sibling", func(f afero.Fs) (string, error) { return readAll(f, "../app-secret/x") }},
	{"Open prefix sibling rooted", func(f afero.Fs) (string, error) { return readAll(f, "/../app-secret/x") }},
	{"Stat prefix sibling", func(f afero.Fs) (string, error) { _, err := f.Stat("/../app-secret"); return "", err }},
	{"Stat symlink out", func(f afero.Fs) (string, error) { _, err := f.Stat("/linkout/secret"); return "", err }},
	{"Lstat through symlink out", func(f afero.Fs) (string, error) {
		_, _, err := f.(afero.Lstater).LstatIfPossible("/linkout/secret")
		return "", err
	}},
	{"Create through symlink out", func(f afero.Fs) (string, error) {
		return "", afero.WriteFile(f, "/linkout/planted", []byte("x"), 0o644)
	}},
	{"Create prefix sibling", func(f afero.Fs) (string, error) {
		return "", afero.WriteFile(f, "/../app-secret/planted", []byte("x"), 0o644)
	}},
	{"Truncate absolute symlink file", func(f afero.Fs) (string, error) {
		fl, err := f.OpenFile("/absfile", os.O_RDWR|os.O_TRUNC, 0)
		if err == nil {
			fl.Close()
		}
		return "", err
	}},
	{"Mkdir through symlink out", func(f afero.Fs) (string, error) { return "", f.Mkdir("/linkout/newdir", 0o755) }},
	{"MkdirAll through .. link", func(f afero.Fs) (string, error) { return "", f.MkdirAll("/sub/up/outside/a/b", 0o755) }},
	{"Remove through symlink out", func(f afero.Fs) (string, error) { return "", f.Remove("/abslink/secret") }},
	{"RemoveAll through .. link", func(f afero.Fs) (string, error) { return "", f.RemoveAll("/sub/up/outside") }},
	{"RemoveAll prefix sibling", func(f afero.Fs) (string, error) { return "", f.RemoveAll("../app-secret") }},
	{"Rename out of symlink", func(f afero.Fs) (string, error) { return "", f.Rename("/linkout/secret", "/stolen") }},
	{"Rename into prefix sibling", func(f afero.Fs) (string, error) {
		return "", f.Rename("/inside.txt", "/../app-secret/moved")
	}},
	{"Chmod through symlink out", func(f afero.Fs) (string, error) { return "", f.Chmod("/linkout/secret", 0o600) }},
	{"Chown through symlink out", func(f afero.Fs) (string, error) {
		return "", f.Chown("/linkout/secret", os.Getuid(), escapeGid())
	}},
	{"Chown .. through link", func(f afero.Fs) (string, error) { return "", f.Chown("/sub/up", os.Getuid(), escapeGid()) }},
	{"Chtimes absolute symlink file", func(f afero.Fs) (string, error) {
		return "", f.Chtimes("/absfile", time.Unix(1, 0), time.Unix(1, 0))
	}},
	{"Symlink created through symlink out", func(f afero.Fs) (string, error) {
		return "", f.(afero.Symlinker).SymlinkIfPossible("x", "/linkout/newlink")
	}},
	{"Readlink through .. link", func(f afero.Fs) (string, error) {
		return f.(afero.Symlinker).ReadlinkIfPossible("/sub/up/app/linkout")
	}},
}

// isEscape reports whether err is os.Root's refusal.
func isEscape(err error) bool {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err != nil && pe.Err.Error() == "path escapes from parent"
	case errors.As(err, &le):
		return le.Err != nil && le.Err.Error() == "path escapes from parent"
	}
	return false
}

func TestRootFsEscapes(t *testing.T) {
	for _, c := range escapeCases {
		t.Run(c.name, func(t *testing.T) {
			// BasePathFs first: the case must be one it lets through,
			// reading the secret or changing what is outside.
			top, app := escapeSetup(t)
			before := outsideState(t, top)
			got, err := c.op(afero.NewBasePathFs(afero.NewOsFs(), app))
			after := outsideState(t, top)
			leaked := strings.Contains(got, "SECRET") || !before.Equal(after) || err == nil
			t.Logf("BasePathFs: read %q, err %v, outside changed %v", got, err, !before.Equal(after))
			if !leaked {
				t.Errorf("BasePathFs refused this case (%v); it does not belong in the table", err)
			}

			top, app = escapeSetup(t)
			before = outsideState(t, top)
			r, err := NewRootFs(app)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err = c.op(r)
			after = outsideState(t, top)
			t.Logf("RootFs:     read %q, err %v", got, err)
			if strings.Contains(got, "SECRET") {
				t.Errorf("RootFs read the outside: %q", got)
			}
			if d := before.Diff(after, "before", "after"); d != "" {
				t.Errorf("RootFs changed the outside:\n%s", d)
			}
			if !isEscape(err) {
				t.Errorf("RootFs: err %v, want os.Root's \"path escapes from parent\"", err)
			}
		})
	}
}

// TestRootFsSymlink checks that SymlinkIfPossible stores targets as given,
// that inside targets are followed and outside ones refused when followed.
func TestRootFsSymlink(t *testing.T) {
	top, app := escapeSetup(t)
	r, err := NewRootFs(app)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct {
		target, name string
		follows      bool
	}{
		{"inside.txt", "/rel", true},
		{"../inside.txt", "/sub/relup", true},
		{"../outside/secret", "/relout", false},
		{filepath.Join(top, "outside", "secret"), "/abs", false},
		{"/inside.txt", "/absinside", false}, // absolute: refused as os.Root refuses it
	} {
		if err := r.SymlinkIfPossible(c.target, c.name); err != nil {
			t.Fatalf("SymlinkIfPossible(%q, %q): %v", c.target, c.name, err)
		}
		got, err := r.ReadlinkIfPossible(c.name)
		if err != nil || got != c.target {
			t.Errorf("ReadlinkIfPossible(%q) = %q, %v; want %q", c.name, got, err, c.target)
		}
		onDisk, err := os.Readlink(filepath.Join(app, c.name))
		if err != nil || onDisk != c.target {
			t.Errorf("link %s on disk: %q, %v; want %q", c.name, onDisk, err, c.target)
		}
		data, err := afero.ReadFile(r, c.name)
		switch {
		case c.follows && (err != nil || string(data) != "inside"):
			t.Errorf("reading %s: %q, %v; want \"inside\"", c.name, data, err)
		case !c.follows && (err == nil || !isEscape(err)):
			t.Errorf("reading %s: %q, %v; want the escape error", c.name, data, err)
		}
		fi, _, err := r.LstatIfPossible(c.name)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Lstat(%s): %v, %v; want a symbolic link", c.name, fi, err)
		}
	}
	err = r.SymlinkIfPossible("x", "/rel")
	var le *os.LinkError
	if !errors.As(err, &le) || le.Op != "symlink" || le.Old != "x" || le.New != filepath.Join(app, "rel") || le.Err != syscall.EEXIST {
		t.Errorf("SymlinkIfPossible over existing: %#v, want LinkError{symlink x %s EEXIST}", err, filepath.Join(app, "rel"))
	}
}

// TestRootFsSwapRace swaps a directory for a symbolic link leading outside
// while other goroutines read a file beneath it: reads give the inside
// file's contents or an error, never the outside sentinel.
func TestRootFsSwapRace(t *testing.T) {
	top, app := escapeSetup(t)
	if err := os.WriteFile(filepath.Join(top, "outside", "f"), []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := NewRootFs(app)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := filepath.Join(app, "d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same race against BasePathFs, to show the test can see a leak.
	bp := afero.NewBasePathFs(afero.NewOsFs(), app)

	const swaps = 2000
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stop.Store(true)
		held := filepath.Join(app, "d.held")
		out := filepath.Join(top, "outside")
		// Bounded in count and in time: readers starve the swapper on
		// some backends, and the test needs overlap, not a set number.
		start := time.Now()
		for i := 0; i < swaps && time.Since(start) < 500*time.Millisecond; i++ {
			if err := os.Rename(dir, held); err != nil {
				t.Error(err)
				return
			}
			link := "../outside"
			if i%2 == 1 {
				link = out // absolute
			}
			if err := os.Symlink(link, dir); err != nil {
				t.Error(err)
				return
			}
			if i%10 == 0 {
				time.Sleep(10 * time.Microsecond)
			}
			if err := os.Remove(dir); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(held, dir); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var okReads, escapes, otherErrs, leaks, bpLeaks atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// At least one round after the last swap, when d is back.
			for done := false; !done; {
				done = stop.Load()
				names := []string{"/d/f", "d/f", "/d/../d/f"}
				for _, name := range names {
					data, err := readAll(r, name)
					switch {
					case strings.Contains(data, "SECRET"):
						leaks.Add(1)
					case err == nil && data == "inside":
						okReads.Add(1)
					case isEscape(err):
						escapes.Add(1)
					case err != nil:
						otherErrs.Add(1)
					}
				}
				if g == 0 {
					if data, _ := readAll(bp, "/d/f"); strings.Contains(data, "SECRET") {
						bpLeaks.Add(1)
					}
				}
			}
		}(g)
	}
	// A writer too: nothing it creates may land outside.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for done := false; !done; {
			done = stop.Load()
			afero.WriteFile(r, "/d/planted", []byte("x"), 0o644)
			r.Remove("/d/planted")
		}
	}()
	wg.Wait()
	if _, err := os.Lstat(filepath.Join(top, "outside", "planted")); err == nil {
		t.Errorf("RootFs created a file outside the root")
	}
	t.Logf("RootFs: %d reads of the inside file, %d escapes refused, %d other errors; BasePathFs read the outside %d times",
		okReads.Load(), escapes.Load(), otherErrs.Load(), bpLeaks.Load())
	if n := leaks.Load(); n != 0 {
		t.Fatalf("RootFs read the outside sentinel %d times", n)
	}
	if okReads.Load() == 0 {
		t.Errorf("no read succeeded; the race did not exercise the inside path")
	}
}

// TestRootFsClosed checks that every operation after Close fails with an
// error wrapping os.ErrClosed, and that open files stay usable.
func TestRootFsClosed(t *testing.T) {
	dir := rfsDir(t)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := NewRootFs(dir)
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close: %v, want an error wrapping os.ErrClosed", what, err)
		}
	}
	f, err := r.Open("/f")
	check("Open", err)
	if f != nil {
		t.Errorf("Open after Close returned a non-nil File %#v", f)
	}
	_, err = r.Create("/new")
	check("Create", err)
	_, err = r.OpenFile("/f", os.O_RDONLY, 0)
	check("OpenFile", err)
	check("Mkdir", r.Mkdir("/d2", 0o755))
	check("MkdirAll", r.MkdirAll("/d/e/f", 0o755))
	check("Remove", r.Remove("/f"))
	check("RemoveAll", r.RemoveAll("/d"))
	check("RemoveAll root", r.RemoveAll("/"))
	check("Rename", r.Rename("/f", "/g"))
	_, err = r.Stat("/f")
	check("Stat", err)
	_, _, err = r.LstatIfPossible("/f")
	check("LstatIfPossible", err)
	check("Chmod", r.Chmod("/f", 0o600))
	check("Chown", r.Chown("/f", os.Getuid(), os.Getgid()))
	check("Chtimes", r.Chtimes("/f", time.Now(), time.Now()))
	check("SymlinkIfPossible", r.SymlinkIfPossible("f", "/l"))
	_, err = r.ReadlinkIfPossible("/f")
	check("ReadlinkIfPossible", err)
	if data, err := io.ReadAll(open); err != nil || string(data) != "data" {
		t.Errorf("file opened before Close: %q, %v", data, err)
	}
	// Nothing changed on disk.
	for _, name := range []string{"f", "d"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory has %d entries after Close, want 2", len(entries))
	}
}

// TestRootFsRemoveAllRoot checks the documented difference: RemoveAll("/")
// empties the root and leaves it usable.
func TestRootFsRemoveAllRoot(t *testing.T) {
	top, app := escapeSetup(t)
	before := outsideState(t, top)
	r, err := NewRootFs(app)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.MkdirAll("/a/b/c", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveAll("/"); err != nil {
		t.Fatalf("RemoveAll(/): %v", err)
	}
	if entries, err := os.ReadDir(app); err != nil || len(entries) != 0 {
		t.Errorf("root after RemoveAll(/): %v, %v; want empty", entries, err)
	}
	if d := before.Diff(outsideState(t, top), "before", "after"); d != "" {
		t.Errorf("RemoveAll(/) changed the outside:\n%s", d)
	}
	if err := afero.WriteFile(r, "/again", []byte("x"), 0o644); err != nil {
		t.Errorf("writing after RemoveAll(/): %v", err)
	}
}

func TestNewRootFsErrors(t *testing.T) {
	dir := rfsDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{filepath.Join(dir, "missing"), file} {
		r, err := NewRootFs(name)
		if err == nil || r != nil {
			t.Errorf("NewRootFs(%q) = %v, %v; want an error", name, r, err)
		}
		if _, want := os.OpenRoot(name); want != nil && err != nil && err.Error() != want.Error() {
			t.Errorf("NewRootFs(%q): %v; os.OpenRoot says %v", name, err, want)
		}
	}
}

// TestRootFsClimbBack checks a name whose ".." climbs above the root and
// comes back into it: BasePathFs takes it for a name inside, RootFs refuses
// it as os.Root does, since what it names depends on what is outside.
func TestRootFsClimbBack(t *testing.T) {
	_, app := escapeSetup(t)
	r, err := NewRootFs(app)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bp := afero.NewBasePathFs(afero.NewOsFs(), app)
	for _, name := range []string{"../app/inside.txt", "/../app/inside.txt", "sub/../../app/inside.txt"} {
		data, err := readAll(bp, name)
		t.Logf("BasePathFs %q: %q, %v", name, data, err)
		data, err = readAll(r, name)
		if !isEscape(err) {
			t.Errorf("RootFs %q: %q, %v; want the escape error", name, data, err)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) && (pe.Op != "open" || pe.Path != name) {
			t.Errorf("RootFs %q: PathError{%s %q}, want {open %q}", name, pe.Op, pe.Path, name)
		}
	}
}

// TestRootFsRelativeBase compares with BasePathFs over the same directory
// named relatively: real paths in errors and names are then relative too.
func TestRootFsRelativeBase(t *testing.T) {
	t.Chdir(rfsDir(t))
	if err := os.MkdirAll("tree/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("tree/f", []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"tree", "./tree/", "tree/d/.."} {
		r, err := NewRootFs(base)
		if err != nil {
			t.Fatal(err)
		}
		bp := afero.NewBasePathFs(afero.NewOsFs(), base)
		prog := func(fsys afero.Fs) []testkit.Step {
			rec := testkit.NewRecorder("") // nothing to normalise
			for _, name := range []string{"/", "f", "/d", "/missing", "/f/x"} {
				fi, err := fsys.Stat(name)
				rec.Record("stat "+name, fi, err)
				f, err := fsys.Open(name)
				rec.Record("open "+name, f, err)
				if f != nil {
					n, err := f.Read(make([]byte, 2))
					rec.Record("  read", n, err)
					fi, err := f.Stat()
					rec.Record("  stat", fi, err)
					f.Close()
				}
			}
			rec.Record("mkdir existing", fsys.Mkdir("/d", 0o755))
			rec.Record("rename missing", fsys.Rename("/missing", "/d/x"))
			return rec.Steps()
		}
		for _, d := range testkit.Differences("BasePathFs", "RootFs", prog(bp), prog(r), 0) {
			t.Errorf("base %q: %s", base, d)
		}
		r.Close()
	}
}
