package uring_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spf13/afero"

	"github.com/uringfs/uring"
	"github.com/uringfs/uring/conformance"
	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// The tests here run one afero program twice, against afero.NewOsFs() and
// against uring.NewFs(), each in its own temporary directory, and require
// the two transcripts (every result and error, with the directory name
// replaced) and the two directory trees left behind to be identical.

func newOurs() afero.Fs { return uring.NewFs() }

// TestMain fails the run when the tests leave a goroutine of this module
// running or a file descriptor open (see testkit.Run). Asking for the
// backend starts the process-wide loop, which lives until exit by design,
// before the baseline is taken; the rings it sets up later, as more Ps
// submit, are released by Shutdown before the check.
func TestMain(m *testing.M) {
	b, err := uringfs.Backend()
	fmt.Fprintf(os.Stderr, "uringfs backend: %q %v (fallback reason: %v)\n", b, err, uringfs.FallbackReason())
	testkit.Main(m, func() { uringfs.Shutdown() })
}

// rec collects one program's transcript (see testkit.Recorder), in which
// root reads $DIR.
type rec struct {
	*testkit.Recorder
	root string
}

func newRec(root string) *rec { return &rec{testkit.NewRecorder(root), root} }

func (r *rec) p(name string) string { return filepath.Join(r.root, name) }

// program is an afero program run once per backend. fsys is the backend
// itself (OsFs or ours); the program builds whatever afero wrappers it tests
// on top of it and works below r.root.
type program func(r *rec, fsys afero.Fs)

// differences runs prog against oracle and impl and describes every place
// where the transcripts or the resulting trees differ.
func differences(t *testing.T, prog program, oracle, impl afero.Fs) []string {
	t.Helper()
	run := func(fsys afero.Fs) (*rec, testkit.Tree) {
		r := newRec(t.TempDir())
		prog(r, fsys)
		return r, testkit.Snapshot(r.root, nil)
	}
	want, wantTree := run(oracle)
	got, gotTree := run(impl)
	diffs := testkit.Differences("os", "ours", want.Steps(), got.Steps(), 0)
	if d := wantTree.Diff(gotTree, "os", "ours"); d != "" {
		diffs = append(diffs, "trees differ:\n"+d)
	}
	return diffs
}

// compareWithOs fails t where prog does not behave the same on uring.NewFs()
// as on afero.NewOsFs().
func compareWithOs(t *testing.T, prog program) {
	t.Helper()
	for _, d := range differences(t, prog, afero.NewOsFs(), newOurs()) {
		t.Error(d)
	}
}

// noisyFs is OsFs with one observable difference: Open errors are wrapped
// once more. The comparison must notice it.
type noisyFs struct{ afero.Fs }

func (n noisyFs) Open(name string) (afero.File, error) {
	f, err := n.Fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("noisy: %w", err)
	}
	return f, nil
}

// typedNilFs returns a typed nil pointer inside the afero.File on error.
type typedNilFs struct{ afero.Fs }

func (n typedNilFs) Open(name string) (afero.File, error) {
	f, err := os.Open(name)
	return f, err
}

// extraFileFs leaves a stray file behind on Mkdir.
type extraFileFs struct{ afero.Fs }

func (n extraFileFs) Mkdir(name string, perm fs.FileMode) error {
	if err := n.Fs.Mkdir(name, perm); err != nil {
		return err
	}
	return os.WriteFile(name+".stray", nil, 0o644)
}

func TestHarnessDetectsDifferences(t *testing.T) {
	prog := func(r *rec, fsys afero.Fs) {
		f, err := fsys.Open(r.p("missing"))
		r.Record("open missing", f, err)
		r.Record("mkdir", fsys.Mkdir(r.p("d"), 0o755))
	}
	if d := differences(t, prog, afero.NewOsFs(), afero.NewOsFs()); len(d) != 0 {
		t.Errorf("OsFs against itself differs: %v", d)
	}
	for _, impl := range []afero.Fs{noisyFs{afero.NewOsFs()}, typedNilFs{afero.NewOsFs()}, extraFileFs{afero.NewOsFs()}} {
		if d := differences(t, prog, afero.NewOsFs(), impl); len(d) == 0 {
			t.Errorf("%T: difference not detected", impl)
		}
	}
}

func catchPanic(fn func()) (p any) {
	defer func() { p = recover() }()
	fn()
	return nil
}

// failingStatFs is OsFs whose Stat always fails.
type failingStatFs struct{ afero.Fs }

func (failingStatFs) Stat(name string) (fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "stat", Path: name, Err: syscall.EIO}
}

// TestHarnessReportsFailedStat checks that a Stat failing on one side only
// becomes a difference in the transcript, for the Stat lines that show
// modification times too.
func TestHarnessReportsFailedStat(t *testing.T) {
	prog := func(r *rec, fsys afero.Fs) {
		r.Record("writefile", afero.WriteFile(fsys, r.p("f"), []byte("x"), 0o644))
		fi, err := fsys.Stat(r.p("f"))
		r.Record("stat", testkit.WithModTime(fi), err)
	}
	var d []string
	if p := catchPanic(func() { d = differences(t, prog, afero.NewOsFs(), failingStatFs{afero.NewOsFs()}) }); p != nil {
		t.Fatalf("the comparison panicked: %v", p)
	}
	if len(d) != 1 || !strings.Contains(d[0], "FileInfo(nil)") {
		t.Errorf("differences = %q, want one line showing the nil FileInfo", d)
	}
}

// basicOps exercises every afero.Fs and afero.File method directly.
func basicOps(r *rec, fsys afero.Fs) {
	f, err := fsys.Create(r.p("a.txt"))
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
	off, err := f.Seek(0, io.SeekCurrent)
	r.Record("seek cur", off, err)
	off, err = f.Seek(2, io.SeekStart)
	r.Record("seek start", off, err)
	buf := make([]byte, 4)
	n, err = f.Read(buf)
	r.Record("read", n, err, buf[:n])
	n, err = f.ReadAt(buf, 10)
	r.Record("readat at end", n, err, buf[:n])
	n, err = f.ReadAt(buf, -1)
	r.Record("readat negative", n, err)
	fi, err := f.Stat()
	r.Record("file stat", fi, err)
	r.Record("sync", f.Sync())
	r.Record("truncate", f.Truncate(5))
	fi, err = f.Stat()
	r.Record("file stat after truncate", fi, err)
	r.Record("name", f.Name())
	r.Record("close", f.Close())
	r.Record("close again", f.Close())
	n, err = f.Read(buf)
	r.Record("read after close", n, err)
	n, err = f.Write(buf)
	r.Record("write after close", n, err)
	_, err = f.Stat()
	r.Record("stat after close", err)

	f, err = fsys.Open(r.p("a.txt"))
	r.Record("open", f, err)
	if err == nil {
		data, err := io.ReadAll(f)
		r.Record("readall", data, err)
		n, err := f.Write([]byte("x"))
		r.Record("write to read-only", n, err)
		r.Record("close", f.Close())
	}

	f, err = fsys.Open(r.p("missing"))
	r.Record("open missing", f, err)
	f, err = fsys.Create(r.p("nodir/x"))
	r.Record("create in missing dir", f, err)
	f, err = fsys.Create(r.p("a.txt/x"))
	r.Record("create below a file", f, err)
	f, err = fsys.OpenFile(r.p("a.txt"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	r.Record("openfile excl on existing", f, err)
	f, err = fsys.OpenFile(r.p(""), os.O_WRONLY, 0)
	r.Record("openfile dir for writing", f, err)

	f, err = fsys.OpenFile(r.p("log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	r.Record("openfile append", f, err)
	if err == nil {
		n, err := f.WriteString("one\n")
		r.Record("append", n, err)
		n, err = f.WriteAt([]byte("x"), 0)
		r.Record("writeat on append", n, err)
		r.Record("close", f.Close())
	}
	f, err = fsys.OpenFile(r.p("log"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		n, err := f.WriteString("two\n")
		r.Record("append again", n, err)
		r.Record("close", f.Close())
	}

	r.Record("mkdir", fsys.Mkdir(r.p("d"), 0o750))
	r.Record("mkdir existing", fsys.Mkdir(r.p("d"), 0o750))
	r.Record("mkdir in missing", fsys.Mkdir(r.p("x/y"), 0o750))
	r.Record("mkdirall", fsys.MkdirAll(r.p("d/e/f"), 0o700))
	r.Record("mkdirall existing", fsys.MkdirAll(r.p("d/e"), 0o700))
	r.Record("mkdirall over file", fsys.MkdirAll(r.p("a.txt/g"), 0o700))
	for _, name := range []string{"d/1", "d/2", "d/3", "d/e/4"} {
		f, err := fsys.Create(r.p(name))
		if err == nil {
			f.Close()
		}
		r.Record("create "+name, err)
	}

	f, err = fsys.Open(r.p("d"))
	r.Record("open dir", f, err)
	if err == nil {
		n, err := f.Read(buf)
		r.Record("read dir", n, err)
		names, err := f.Readdirnames(2)
		r.Record("readdirnames(2)", len(names), err)
		infos, err := f.Readdir(-1)
		r.Record("readdir rest", len(names)+len(infos), err)
		infos, err = f.Readdir(1)
		r.Record("readdir at end", testkit.Sorted(infos), err)
		off, err := f.Seek(0, io.SeekStart)
		r.Record("seek dir", off, err)
		infos, err = f.Readdir(0)
		r.Record("readdir after rewind", testkit.Sorted(infos), err)
		if rdf, ok := f.(fs.ReadDirFile); ok {
			_, _ = f.Seek(0, io.SeekStart)
			entries, err := rdf.ReadDir(-1)
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
			r.Record("readdir entries", entries, err)
		} else {
			r.Record("not a ReadDirFile")
		}
		r.Record("close dir", f.Close())
	}
	f, err = fsys.Open(r.p("a.txt"))
	if err == nil {
		names, err := f.Readdirnames(-1)
		r.Record("readdirnames on file", testkit.Sorted(names), err)
		f.Close()
	}

	r.Record("remove missing", fsys.Remove(r.p("missing")))
	r.Record("remove nonempty dir", fsys.Remove(r.p("d/e")))
	r.Record("remove file", fsys.Remove(r.p("d/1")))
	r.Record("remove empty dir", fsys.Remove(r.p("d/e/f")))
	r.Record("removeall", fsys.RemoveAll(r.p("d/e")))
	r.Record("removeall missing", fsys.RemoveAll(r.p("d/missing")))
	r.Record("removeall below file", fsys.RemoveAll(r.p("a.txt/x")))

	r.Record("rename", fsys.Rename(r.p("d/2"), r.p("d/two")))
	r.Record("rename missing", fsys.Rename(r.p("d/2"), r.p("d/two")))
	r.Record("rename over file", fsys.Rename(r.p("d/3"), r.p("d/two")))
	r.Record("rename file over dir", fsys.Rename(r.p("d/two"), r.p("d")))
	r.Record("mkdir d2", fsys.Mkdir(r.p("d2"), 0o755))
	r.Record("rename dir over empty dir", fsys.Rename(r.p("d2"), r.p("d")))
	r.Record("rename into missing dir", fsys.Rename(r.p("a.txt"), r.p("nodir/a")))

	fi, err = fsys.Stat(r.p("a.txt"))
	r.Record("stat", fi, err)
	fi, err = fsys.Stat(r.p("d"))
	r.Record("stat dir", fi, err)
	fi, err = fsys.Stat(r.p("missing"))
	r.Record("stat missing", fi, err)
	fi, err = fsys.Stat(r.p("a.txt/x"))
	r.Record("stat below file", fi, err)
	fi, err = fsys.Stat(r.p("d/"))
	r.Record("stat trailing slash", fi, err)
	fi, err = fsys.Stat(r.p("a.txt/"))
	r.Record("stat file trailing slash", fi, err)

	r.Record("chmod", fsys.Chmod(r.p("a.txt"), 0o640))
	r.Record("chmod setuid sticky", fsys.Chmod(r.p("d"), 0o755|fs.ModeSticky|fs.ModeSetgid))
	r.Record("chmod missing", fsys.Chmod(r.p("missing"), 0o640))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.Record("stat after chmod", fi, err)
	fi, err = fsys.Stat(r.p("d"))
	r.Record("stat dir after chmod", fi, err)

	r.Record("chown self", fsys.Chown(r.p("a.txt"), os.Getuid(), os.Getgid()))
	r.Record("chown -1", fsys.Chown(r.p("a.txt"), -1, -1))
	r.Record("chown missing", fsys.Chown(r.p("missing"), os.Getuid(), os.Getgid()))

	when := time.Date(2020, 2, 29, 12, 30, 15, 123456789, time.UTC)
	r.Record("chtimes", fsys.Chtimes(r.p("a.txt"), when, when))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.Record("stat after chtimes", testkit.WithModTime(fi), err)
	r.Record("chtimes zero (unchanged)", fsys.Chtimes(r.p("a.txt"), time.Time{}, time.Time{}))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.Record("stat after zero chtimes", testkit.WithModTime(fi), err)
	r.Record("chtimes missing", fsys.Chtimes(r.p("missing"), when, when))

	sl, ok := fsys.(afero.Symlinker)
	r.Record("is Symlinker", ok)
	if !ok {
		return
	}
	r.Record("symlink", sl.SymlinkIfPossible("a.txt", r.p("link")))
	r.Record("symlink abs", sl.SymlinkIfPossible(r.p("d"), r.p("dlink")))
	r.Record("symlink dangling", sl.SymlinkIfPossible("nowhere", r.p("dangling")))
	r.Record("symlink existing", sl.SymlinkIfPossible("a.txt", r.p("link")))
	fi, lstatted, err := sl.LstatIfPossible(r.p("link"))
	r.Record("lstat link", fi, lstatted, err)
	fi, lstatted, err = sl.LstatIfPossible(r.p("a.txt"))
	r.Record("lstat file", fi, lstatted, err)
	fi, lstatted, err = sl.LstatIfPossible(r.p("missing"))
	r.Record("lstat missing", fi, lstatted, err)
	fi, err = fsys.Stat(r.p("link"))
	r.Record("stat through link", fi, err)
	fi, err = fsys.Stat(r.p("dangling"))
	r.Record("stat dangling", fi, err)
	target, err := sl.ReadlinkIfPossible(r.p("link"))
	r.Record("readlink", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("dlink"))
	r.Record("readlink abs", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("a.txt"))
	r.Record("readlink on file", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("missing"))
	r.Record("readlink missing", target, err)
	f, err = fsys.Open(r.p("dlink/two"))
	r.Record("open through dir link", f, err)
	if err == nil {
		f.Close()
	}
	r.Record("remove link", fsys.Remove(r.p("link")))
}

func TestBasicOps(t *testing.T) { compareWithOs(t, basicOps) }

// utilities runs afero's helper functions, which combine the Fs methods.
func utilities(r *rec, fsys afero.Fs) {
	r.Record("writefile", afero.WriteFile(fsys, r.p("w/a.txt"), []byte("x"), 0o644))
	r.Record("mkdirall w", fsys.MkdirAll(r.p("w/sub/deeper"), 0o755))
	r.Record("writefile", afero.WriteFile(fsys, r.p("w/a.txt"), []byte("alpha\n"), 0o644))
	r.Record("writefile", afero.WriteFile(fsys, r.p("w/sub/b.go"), []byte("package b\n"), 0o600))
	r.Record("writefile", afero.WriteFile(fsys, r.p("w/sub/c.go"), []byte("package c\n"), 0o600))
	r.Record("writefile", afero.WriteFile(fsys, r.p("w/sub/deeper/d.txt"), bytes.Repeat([]byte("d"), 70000), 0o644))
	data, err := afero.ReadFile(fsys, r.p("w/a.txt"))
	r.Record("readfile", data, err)
	data, err = afero.ReadFile(fsys, r.p("w/sub/deeper/d.txt"))
	r.Record("readfile big", len(data), err)
	data, err = afero.ReadFile(fsys, r.p("w/missing"))
	r.Record("readfile missing", data, err)
	data, err = afero.ReadFile(fsys, r.p("w"))
	r.Record("readfile dir", data, err)
	infos, err := afero.ReadDir(fsys, r.p("w/sub"))
	r.Record("afero.ReadDir", testkit.Sorted(infos), err)
	infos, err = afero.ReadDir(fsys, r.p("w/missing"))
	r.Record("afero.ReadDir missing", testkit.Sorted(infos), err)

	for _, name := range []string{"w", "w/a.txt", "w/missing", "w/a.txt/x"} {
		ok, err := afero.Exists(fsys, r.p(name))
		r.Record("exists "+name, ok, err)
		ok, err = afero.DirExists(fsys, r.p(name))
		r.Record("direxists "+name, ok, err)
		ok, err = afero.IsDir(fsys, r.p(name))
		r.Record("isdir "+name, ok, err)
		ok, err = afero.IsEmpty(fsys, r.p(name))
		r.Record("isempty "+name, ok, err)
	}
	ok, err := afero.FileContainsBytes(fsys, r.p("w/a.txt"), []byte("ph"))
	r.Record("containsbytes", ok, err)
	ok, err = afero.FileContainsAnyBytes(fsys, r.p("w/sub/b.go"), [][]byte{[]byte("zz"), []byte("age")})
	r.Record("containsanybytes", ok, err)

	matches, err := afero.Glob(fsys, r.p("w/sub/*.go"))
	r.Record("glob", matches, err)
	matches, err = afero.Glob(fsys, r.p("w/*/*"))
	r.Record("glob 2", matches, err)
	matches, err = afero.Glob(fsys, r.p("w/[a"))
	r.Record("glob bad", matches, err)

	var walked []string
	err = afero.Walk(fsys, r.p("w"), func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", r.Norm(path), r.Format(info), r.Format(err)))
		if info != nil && info.Name() == "deeper" {
			return filepath.SkipDir
		}
		return nil
	})
	r.Record("walk", walked, err)
	walked = nil
	err = afero.Walk(fsys, r.p("w/missing"), func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", r.Norm(path), r.Format(info), r.Format(err)))
		return err
	})
	r.Record("walk missing", walked, err)

	f, err := afero.TempFile(fsys, r.p("w"), "pre*.suf")
	if err != nil {
		r.Record("tempfile", err)
	} else {
		base := filepath.Base(f.Name())
		r.Record("tempfile", filepath.Dir(f.Name()), strings.HasPrefix(base, "pre"), strings.HasSuffix(base, ".suf"))
		fi, err := f.Stat()
		r.Record("tempfile stat mode", fi.Mode(), err)
		n, err := f.WriteString("temp")
		r.Record("tempfile write", n, err)
		r.Record("tempfile close", f.Close())
		r.Record("rename tempfile", fsys.Rename(f.Name(), r.p("w/tempfile")))
	}
	f, err = afero.TempFile(fsys, r.p("w/missing"), "x")
	var pe *fs.PathError
	errors.As(err, &pe)
	r.Record("tempfile in missing dir", f, fmt.Sprintf("%T", err), pe != nil && pe.Err == syscall.ENOENT)
	dir, err := afero.TempDir(fsys, r.p("w"), "tdir")
	if err != nil {
		r.Record("tempdir", err)
	} else {
		r.Record("tempdir", filepath.Dir(dir), strings.HasPrefix(filepath.Base(dir), "tdir"))
		fi, err := fsys.Stat(dir)
		r.Record("tempdir stat", fi.Mode(), err)
		r.Record("rename tempdir", fsys.Rename(dir, r.p("w/tempdir")))
	}

	r.Record("writereader", afero.WriteReader(fsys, r.p("w/new/r.txt"), strings.NewReader("reader\n")))
	r.Record("safewritereader existing", afero.SafeWriteReader(fsys, r.p("w/new/r.txt"), strings.NewReader("again\n")))
	r.Record("safewritereader", afero.SafeWriteReader(fsys, r.p("w/new/s.txt"), strings.NewReader("safe\n")))

	a := &afero.Afero{Fs: fsys}
	data, err = a.ReadFile(r.p("w/new/s.txt"))
	r.Record("Afero.ReadFile", data, err)
}

func TestUtilities(t *testing.T) { compareWithOs(t, utilities) }

func TestBasePathFs(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		fsys := afero.NewBasePathFs(backend, r.root)
		r.Record("mkdirall", fsys.MkdirAll("/a/b", 0o755))
		f, err := fsys.Create("/a/b/file")
		r.Record("create", f, err)
		if err == nil {
			n, err := f.WriteString("based")
			r.Record("write", n, err)
			r.Record("close", f.Close())
		}
		f, err = fsys.Create("/nodir/file")
		r.Record("create in missing dir", f, err)
		f, err = fsys.Open("/a/b/file")
		r.Record("open", f, err)
		if err == nil {
			if rdf, ok := f.(fs.ReadDirFile); ok {
				entries, err := rdf.ReadDir(-1)
				r.Record("readdir on file", entries, err)
			}
			data, err := io.ReadAll(f)
			r.Record("read", data, err)
			f.Close()
		}
		f, err = fsys.Open("/a")
		if err == nil {
			entries, err := f.(fs.ReadDirFile).ReadDir(-1)
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
			r.Record("readdir", entries, err)
			f.Close()
		}
		f, err = fsys.Open("/missing")
		r.Record("open missing", f, err)
		f, err = fsys.Open("../../escape")
		r.Record("open outside", f, err)
		fi, err := fsys.Stat("a/b/file")
		r.Record("stat", fi, err)
		fi, err = fsys.Stat("/missing")
		r.Record("stat missing", fi, err)
		r.Record("rename", fsys.Rename("/a/b/file", "/a/file"))
		r.Record("rename missing", fsys.Rename("/a/b/file", "/a/file2"))
		r.Record("chmod", fsys.Chmod("/a/file", 0o600))
		r.Record("chtimes", fsys.Chtimes("/a/file", time.Unix(1e9, 0), time.Unix(1e9, 0)))
		fi, err = fsys.Stat("/a/file")
		r.Record("stat after chmod, chtimes", testkit.WithModTime(fi), err)
		r.Record("remove nonempty", fsys.Remove("/a"))
		r.Record("remove missing", fsys.Remove("/a/missing"))

		sl := fsys.(afero.Symlinker)
		r.Record("symlink", sl.SymlinkIfPossible("file", "/a/link"))
		target, err := sl.ReadlinkIfPossible("/a/link")
		r.Record("readlink", target, err)
		fi, lstatted, err := sl.LstatIfPossible("/a/link")
		r.Record("lstat", fi, lstatted, err)
		fi, lstatted, err = sl.LstatIfPossible("/a/none")
		r.Record("lstat missing", fi, lstatted, err)

		r.Record("removeall", fsys.RemoveAll("/a/b"))
		r.Record("mkdir", fsys.Mkdir("/a/c", 0o700))
		r.Record("mkdir existing", fsys.Mkdir("/a/c", 0o700))
	})
}

func TestReadOnlyFs(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		r.Record("writefile", afero.WriteFile(backend, r.p("ro.txt"), []byte("read only"), 0o644))
		r.Record("mkdir", backend.Mkdir(r.p("dir"), 0o755))
		fsys := afero.NewReadOnlyFs(backend)
		f, err := fsys.Open(r.p("ro.txt"))
		r.Record("open", f, err)
		if err == nil {
			data, err := io.ReadAll(f)
			r.Record("read", data, err)
			f.Close()
		}
		f, err = fsys.Open(r.p("missing"))
		r.Record("open missing", f, err)
		f, err = fsys.OpenFile(r.p("ro.txt"), os.O_RDWR, 0)
		r.Record("openfile rdwr", f, err)
		f, err = fsys.OpenFile(r.p("ro.txt"), os.O_RDONLY, 0)
		r.Record("openfile rdonly", f, err)
		if err == nil {
			f.Close()
		}
		f, err = fsys.Create(r.p("new"))
		r.Record("create", f, err)
		r.Record("remove", fsys.Remove(r.p("ro.txt")))
		r.Record("mkdir", fsys.Mkdir(r.p("x"), 0o755))
		r.Record("chmod", fsys.Chmod(r.p("ro.txt"), 0o600))
		fi, err := fsys.Stat(r.p("ro.txt"))
		r.Record("stat", fi, err)
		fi, err = fsys.Stat(r.p("missing"))
		r.Record("stat missing", fi, err)
		fi, lstatted, err := fsys.(afero.Lstater).LstatIfPossible(r.p("dir"))
		r.Record("lstat", fi, lstatted, err)
		infos, err := afero.ReadDir(fsys, r.p(""))
		r.Record("readdir", testkit.Sorted(infos), err)
	})
}

// fixture is the tree the CopyOnWriteFs tests start from, made with os.
func fixture(r *rec) {
	for _, d := range []string{"base", "base/sub", "both"} {
		if err := os.Mkdir(r.p(d), 0o755); err != nil {
			panic(err)
		}
	}
	for name, data := range map[string]string{
		"base/file":     "base file\n",
		"base/sub/deep": "deep\n",
		"both/fromBase": "b\n",
		"top":           "top\n",
	} {
		if err := os.WriteFile(r.p(name), []byte(data), 0o644); err != nil {
			panic(err)
		}
		when := time.Unix(1.5e9, 0)
		if err := os.Chtimes(r.p(name), when, when); err != nil {
			panic(err)
		}
	}
}

// cowOps runs a copy-on-write workload on cow, whose paths are rooted at "/".
func cowOps(r *rec, cow afero.Fs) {
	f, err := cow.Open("/base/file")
	r.Record("open base file", f != nil, err)
	if err == nil {
		data, err := io.ReadAll(f)
		r.Record("read base file", data, err)
		f.Close()
	}
	fi, err := cow.Stat("/base/file")
	r.Record("stat base file", testkit.WithModTime(fi), err)
	fi, err = cow.Stat("/missing")
	r.Record("stat missing", fi, err)
	fi, err = cow.Stat("/top/below")
	r.Record("stat below file", fi, err)
	f, err = cow.Open("/missing")
	r.Record("open missing", f, err)

	f, err = cow.OpenFile("/base/file", os.O_WRONLY|os.O_APPEND, 0)
	r.Record("openfile base file for append", f != nil, err)
	if err == nil {
		n, err := f.Write([]byte("layered\n"))
		r.Record("append", n, err)
		f.Close()
	}
	data, err := afero.ReadFile(cow, "/base/file")
	r.Record("read back", data, err)
	fi, err = cow.Stat("/base/file")
	r.Record("stat copied file", fi, err)

	f, err = cow.Create("/base/sub/new")
	r.Record("create in base dir", f != nil, err)
	if err == nil {
		f.WriteString("new\n")
		f.Close()
	}
	f, err = cow.Create("/nodir/new")
	r.Record("create in missing dir", f, err)
	f, err = cow.Create("/top/new")
	r.Record("create below file", f, err)
	r.Record("mkdir", cow.Mkdir("/made", 0o755))
	r.Record("mkdir existing base dir", cow.Mkdir("/base", 0o755))
	r.Record("mkdirall", cow.MkdirAll("/both/x/y", 0o755))
	r.Record("writefile", afero.WriteFile(cow, "/both/fromLayer", []byte("l\n"), 0o644))

	f, err = cow.Open("/both")
	r.Record("open union dir", f != nil, err)
	if err == nil {
		names, err := f.Readdirnames(-1)
		r.Record("union readdirnames", testkit.Sorted(names), err)
		f.Close()
	}
	infos, err := afero.ReadDir(cow, "/base")
	r.Record("readdir base", testkit.Sorted(infos), err)

	r.Record("chmod base file", cow.Chmod("/top", 0o600))
	r.Record("chtimes", cow.Chtimes("/base/sub/deep", time.Unix(2e9, 0), time.Unix(2e9, 0)))
	fi, err = cow.Stat("/base/sub/deep")
	r.Record("stat after chtimes", testkit.WithModTime(fi), err)
	r.Record("chmod missing", cow.Chmod("/missing", 0o600))

	r.Record("remove base-only file", cow.Remove("/both/fromBase"))
	r.Record("remove layer file", cow.Remove("/both/fromLayer"))
	r.Record("remove missing", cow.Remove("/missing"))
	r.Record("removeall missing", cow.RemoveAll("/missing"))
	r.Record("rename base-only file", cow.Rename("/base/sub/deep", "/deep"))
	r.Record("rename layer file", cow.Rename("/base/sub/new", "/base/sub/renamed"))
	r.Record("rename missing", cow.Rename("/missing", "/x"))

	if ls, ok := cow.(afero.Lstater); ok {
		fi, lstatted, err := ls.LstatIfPossible("/base/file")
		r.Record("lstat", fi, lstatted, err)
		fi, lstatted, err = ls.LstatIfPossible("/missing")
		r.Record("lstat missing", fi, lstatted, err)
	}

	var walked []string
	err = afero.Walk(cow, "/", func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", path, r.Format(info), r.Format(err)))
		return nil
	})
	r.Record("walk", walked, err)
}

// memTree renders a MemMapFs's contents.
func memTree(r *rec, m afero.Fs) []string {
	var out []string
	_ = afero.Walk(m, "/", func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			out = append(out, path+" "+r.Format(err))
			return nil
		}
		line := fmt.Sprintf("%s %v", path, info.Mode())
		if info.Mode().IsRegular() {
			data, err := afero.ReadFile(m, path)
			line += fmt.Sprintf(" %q %s", data, r.Format(err))
		}
		out = append(out, line)
		return nil
	})
	return out
}

// Ours as the read-only base of a CopyOnWriteFs with a MemMapFs layer.
func TestCopyOnWriteBase(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		fixture(r)
		layer := afero.NewMemMapFs()
		cow := afero.NewCopyOnWriteFs(afero.NewReadOnlyFs(afero.NewBasePathFs(backend, r.root)), layer)
		cowOps(r, cow)
		r.Record("layer", memTree(r, layer))
	})
}

// Ours as the writable layer over a read-only base. The base is the same
// fixture on disk, reached through OsFs in both runs.
func TestCopyOnWriteLayer(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		fixture(r)
		if err := os.Mkdir(r.p("layer"), 0o755); err != nil {
			t.Fatal(err)
		}
		base := afero.NewReadOnlyFs(afero.NewBasePathFs(afero.NewOsFs(), r.root))
		cow := afero.NewCopyOnWriteFs(base, afero.NewBasePathFs(backend, r.p("layer")))
		cowOps(r, cow)
	})
}

// Ours as both base and layer.
func TestCopyOnWriteBoth(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		fixture(r)
		if err := os.Mkdir(r.p("layer"), 0o755); err != nil {
			t.Fatal(err)
		}
		base := afero.NewReadOnlyFs(afero.NewBasePathFs(backend, r.root))
		cow := afero.NewCopyOnWriteFs(base, afero.NewBasePathFs(backend, r.p("layer")))
		cowOps(r, cow)
	})
}

// ioFixture is a tree for the io/fs tests, made with os.
func ioFixture(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"a", "a/b", "a/b/c", "empty"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{
		"hello.txt":    "hello, world\n",
		"a/one":        "1",
		"a/b/two":      "22",
		"a/b/c/three":  strings.Repeat("3", 5000),
		"a/b/c/.dot":   "",
		"a/b/c/four.x": "four",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("hello.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
}

// TestIOFSFstest runs testing/fstest over afero.NewIOFS of ours, and of OsFs
// as the oracle: where OsFs passes we must pass, where it fails (afero's own
// shortcomings) we must fail the same way.
func TestIOFSFstest(t *testing.T) {
	expected := []string{"hello.txt", "a/one", "a/b/two", "a/b/c/three", "a/b/c/.dot", "empty", "link"}
	check := func(backend afero.Fs) (string, string) {
		dir := t.TempDir()
		ioFixture(t, dir)
		err := fstest.TestFS(afero.NewIOFS(afero.NewBasePathFs(backend, dir)), expected...)
		if err == nil {
			return "", dir
		}
		return strings.ReplaceAll(err.Error(), dir, "$ROOT"), dir
	}
	want, _ := check(afero.NewOsFs())
	got, _ := check(newOurs())
	if got != want {
		t.Errorf("fstest.TestFS over IOFS:\nOsFs: %s\nours: %s", want, got)
	}
	if want != "" {
		t.Logf("fstest.TestFS fails the same way for OsFs (afero's IOFS): %s", want)
	}
}

func TestIOFS(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		if err := os.Mkdir(r.p("a"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a/x.txt", "a/y.txt", "z.md"} {
			if err := os.WriteFile(r.p(name), []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fsys := afero.NewIOFS(afero.NewBasePathFs(backend, r.root))
		data, err := fs.ReadFile(fsys, "a/x.txt")
		r.Record("fs.ReadFile", data, err)
		data, err = fs.ReadFile(fsys, "a/missing")
		r.Record("fs.ReadFile missing", data, err)
		data, err = fs.ReadFile(fsys, "../x")
		r.Record("fs.ReadFile invalid", data, err)
		entries, err := fs.ReadDir(fsys, "a")
		r.Record("fs.ReadDir", entries, err)
		entries, err = fs.ReadDir(fsys, "missing")
		r.Record("fs.ReadDir missing", entries, err)
		fi, err := fs.Stat(fsys, "z.md")
		r.Record("fs.Stat", fi, err)
		fi, err = fs.Stat(fsys, "nope")
		r.Record("fs.Stat missing", fi, err)
		matches, err := fs.Glob(fsys, "a/*.txt")
		r.Record("fs.Glob", matches, err)
		sub, err := fs.Sub(fsys, "a")
		r.Record("fs.Sub", err)
		if err == nil {
			data, err := fs.ReadFile(sub, "y.txt")
			r.Record("sub ReadFile", data, err)
		}
		f, err := fsys.Open("a")
		r.Record("open dir", err)
		if err == nil {
			rdf := f.(fs.ReadDirFile)
			e1, err := rdf.ReadDir(1)
			r.Record("ReadDir(1)", len(e1), err)
			e2, err := rdf.ReadDir(5)
			r.Record("ReadDir(5)", len(e2), err)
			e3, err := rdf.ReadDir(5)
			r.Record("ReadDir(5) at end", e3, err)
			f.Close()
		}
		var walked []string
		err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			walked = append(walked, fmt.Sprintf("%s %v %s", path, d.Type(), r.Format(err)))
			return nil
		})
		r.Record("fs.WalkDir", walked, err)
	})
}

// TestOpenErrorsAreNilInterfaces checks the shapes afero code relies on
// directly, not only by comparison: a failed open is a nil afero.File, and
// errors are *fs.PathError / *os.LinkError holding the bare errno.
func TestOpenErrorsAreNilInterfaces(t *testing.T) {
	fsys := newOurs()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	opens := map[string]func() (afero.File, error){
		"Open":     func() (afero.File, error) { return fsys.Open(missing) },
		"Create":   func() (afero.File, error) { return fsys.Create(filepath.Join(missing, "x")) },
		"OpenFile": func() (afero.File, error) { return fsys.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644) },
	}
	wantErrno := map[string]syscall.Errno{"Open": syscall.ENOENT, "Create": syscall.ENOENT, "OpenFile": syscall.EEXIST}
	for name, open := range opens {
		f, err := open()
		if f != nil {
			t.Errorf("%s: failed open returned a non-nil afero.File %#v", name, f)
		}
		pe, ok := err.(*fs.PathError)
		if !ok {
			t.Errorf("%s: error %T %v, want *fs.PathError", name, err, err)
			continue
		}
		if pe.Err != wantErrno[name] {
			t.Errorf("%s: PathError.Err = %#v, want syscall.Errno %v", name, pe.Err, wantErrno[name])
		}
	}

	// The comparisons afero's CopyOnWriteFs makes.
	_, err := fsys.Stat(missing)
	if pe, ok := err.(*os.PathError); !ok || pe.Err != syscall.ENOENT {
		t.Errorf("Stat missing: %#v, want *os.PathError{Err: syscall.ENOENT}", err)
	}
	_, err = fsys.Stat(filepath.Join(file, "x"))
	if pe, ok := err.(*os.PathError); !ok || pe.Err != syscall.ENOTDIR {
		t.Errorf("Stat below file: %#v, want *os.PathError{Err: syscall.ENOTDIR}", err)
	}
	err = fsys.Remove(missing)
	if pe, ok := err.(*os.PathError); !ok || pe.Err != syscall.ENOENT {
		t.Errorf("Remove missing: %#v, want *os.PathError{Err: syscall.ENOENT}", err)
	}
	err = fsys.Rename(missing, file)
	if le, ok := err.(*os.LinkError); !ok || le.Err != syscall.ENOENT {
		t.Errorf("Rename missing: %#v, want *os.LinkError{Err: syscall.ENOENT}", err)
	}
	err = fsys.(afero.Linker).SymlinkIfPossible("x", file)
	if le, ok := err.(*os.LinkError); !ok || le.Err != syscall.EEXIST {
		t.Errorf("Symlink over file: %#v, want *os.LinkError{Err: syscall.EEXIST}", err)
	}
	if !errors.Is(fsys.Mkdir(dir, 0o755), fs.ErrExist) {
		t.Errorf("Mkdir existing: not fs.ErrExist")
	}

	// A successful open hands out the *uringfs.File itself.
	f, err := fsys.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := f.(*uringfs.File); !ok {
		t.Errorf("Open returned %T, want *uringfs.File", f)
	}
	if _, ok := f.(fs.ReadDirFile); !ok {
		t.Errorf("%T is not an fs.ReadDirFile", f)
	}
}

func TestName(t *testing.T) {
	if got := uring.NewFs().Name(); got != "UringFs" {
		t.Errorf("Name() = %q", got)
	}
	var zero uring.Fs
	if _, err := zero.Stat(t.TempDir()); err != nil {
		t.Errorf("zero Fs: %v", err)
	}
}

// TestConcurrentUse runs many goroutines through one Fs at once (under
// -race this also checks the adapter shares nothing unsafely).
func TestConcurrentUse(t *testing.T) {
	fsys := newOurs()
	dir := t.TempDir()
	const workers = 16
	errs := make(chan error, workers)
	for i := range workers {
		go func() {
			name := filepath.Join(dir, fmt.Sprintf("f%d", i))
			want := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
			err := afero.WriteFile(fsys, name, want, 0o644)
			if err == nil {
				var got []byte
				got, err = afero.ReadFile(fsys, name)
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("%s: read back %d bytes, want %d", name, len(got), len(want))
				}
			}
			if err == nil {
				err = fsys.Remove(name)
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestConformanceAfero runs the conformance package's afero suite, an
// independent differential check against afero.OsFs.
func TestConformanceAfero(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the conformance suites compare Linux errno values and SEEK_DATA/SEEK_HOLE")
	}
	conformance.TestAferoFs(t, newOurs())
}
