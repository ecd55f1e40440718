package uring_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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
// before the baseline is taken.
func TestMain(m *testing.M) {
	b, err := uringfs.Backend()
	fmt.Fprintf(os.Stderr, "uringfs backend: %q %v (fallback reason: %v)\n", b, err, uringfs.FallbackReason())
	testkit.Main(m)
}

// rec collects one program's transcript.
type rec struct {
	root  string
	lines []string
}

func (r *rec) p(name string) string { return filepath.Join(r.root, name) }

func (r *rec) norm(s string) string { return strings.ReplaceAll(s, r.root, "$ROOT") }

// log appends a line: label followed by each value rendered by fmtVal.
func (r *rec) log(label string, vals ...any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = r.fmtVal(v)
	}
	r.lines = append(r.lines, label+": "+strings.Join(parts, " | "))
}

// Wrappers that choose a rendering.
type (
	withMtime  struct{ fs.FileInfo } // FileInfo including its modification time
	sortedStrs []string              // []string compared as a set
)

func (r *rec) fmtVal(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case error:
		return r.fmtErr(v)
	case afero.File:
		return r.fmtFile(v)
	case withMtime:
		if v.FileInfo == nil || nilPointer(v.FileInfo) {
			return r.fmtInfo(v.FileInfo) // a failed Stat: no time to show
		}
		return r.fmtInfo(v.FileInfo) + fmt.Sprintf("@%d", testkit.OracleTime(v.ModTime()).UnixNano())
	case fs.FileInfo:
		return r.fmtInfo(v)
	case []fs.FileInfo:
		if v == nil {
			return "[]FileInfo(nil)"
		}
		s := make([]string, len(v))
		for i, fi := range v {
			s[i] = r.fmtInfo(fi)
		}
		sort.Strings(s)
		return fmt.Sprintf("[%d]{%s}", len(v), strings.Join(s, ", "))
	case []fs.DirEntry:
		if v == nil {
			return "[]DirEntry(nil)"
		}
		s := make([]string, len(v))
		for i, d := range v {
			fi, err := d.Info()
			s[i] = fmt.Sprintf("%s:%v:%v:%s:%s", d.Name(), d.IsDir(), d.Type(), r.fmtInfo(fi), r.fmtErr(err))
		}
		return fmt.Sprintf("[%d]{%s}", len(v), strings.Join(s, ", "))
	case sortedStrs:
		if v == nil {
			return "[]string(nil)"
		}
		s := append([]string(nil), v...)
		sort.Strings(s)
		return fmt.Sprintf("%q", r.norm(strings.Join(s, "\x00")))
	case []string:
		if v == nil {
			return "[]string(nil)"
		}
		return fmt.Sprintf("%q", r.norm(strings.Join(v, "\x00")))
	case []byte:
		if v == nil {
			return "[]byte(nil)"
		}
		return fmt.Sprintf("%q", v)
	case string:
		return fmt.Sprintf("%q", r.norm(v))
	case time.Time:
		return fmt.Sprint(testkit.OracleTime(v).UnixNano())
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

// nilPointer reports whether v holds a nil pointer: an interface that is
// not nil itself but whose methods would dereference nil. The renderers
// describe such values instead of calling them, so that a difference
// becomes a line of the transcript, not a panic that ends the test binary.
func nilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// fmtFile tells a nil interface from a typed nil pointer inside it.
func (r *rec) fmtFile(f afero.File) string {
	if f == nil {
		return "File(nil interface)"
	}
	if nilPointer(f) {
		return fmt.Sprintf("File(typed nil %T)", f)
	}
	return fmt.Sprintf("File(name=%q)", r.norm(f.Name()))
}

func (r *rec) fmtInfo(fi fs.FileInfo) string {
	if fi == nil {
		return "FileInfo(nil)"
	}
	if nilPointer(fi) {
		return fmt.Sprintf("FileInfo(typed nil %T)", fi)
	}
	s := fmt.Sprintf("{%q %v dir=%v", fi.Name(), fi.Mode(), fi.IsDir())
	if fi.Mode().IsRegular() {
		s += fmt.Sprintf(" size=%d", fi.Size())
	}
	// Callers type-assert Sys to *syscall.Stat_t; its type must match.
	return s + fmt.Sprintf(" sys=%T}", fi.Sys())
}

// fmtErr renders what a caller can observe of err: the chain of concrete
// types with the fields of the os error types, the errno and the message.
func (r *rec) fmtErr(err error) string {
	if err == nil {
		return "err(nil)"
	}
	var b strings.Builder
	for e := err; e != nil; {
		if nilPointer(e) {
			fmt.Fprintf(&b, "typed nil %T", e)
			break
		}
		switch x := e.(type) {
		case *fs.PathError:
			fmt.Fprintf(&b, "*PathError{%s %q}->", x.Op, r.norm(x.Path))
			e = x.Err
		case *os.LinkError:
			fmt.Fprintf(&b, "*LinkError{%s %q %q}->", x.Op, r.norm(x.Old), r.norm(x.New))
			e = x.Err
		case *os.SyscallError:
			fmt.Fprintf(&b, "*SyscallError{%s}->", x.Syscall)
			e = x.Err
		case syscall.Errno:
			fmt.Fprintf(&b, "Errno(%d)", int(x))
			e = nil
		default:
			fmt.Fprintf(&b, "%T", x)
			e = nil
		}
	}
	fmt.Fprintf(&b, " %q", r.norm(errorText(err)))
	return b.String()
}

// errorText is err.Error(), or a description of its panic: the Error method
// of a nil pointer, or of an error wrapping one, may dereference it.
func errorText(err error) (text string) {
	defer func() {
		if p := recover(); p != nil {
			text = fmt.Sprintf("Error() panicked: %v", p)
		}
	}()
	return err.Error()
}

// tree renders every entry below root: path, mode, size and contents or link
// target, so that two trees built by the same program compare equal.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", rel, fi.Mode())
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %d %q", fi.Size(), data)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			line += " -> " + strings.ReplaceAll(target, root, "$ROOT")
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return out
}

// program is an afero program run once per backend. fsys is the backend
// itself (OsFs or ours); the program builds whatever afero wrappers it tests
// on top of it and works below r.root.
type program func(r *rec, fsys afero.Fs)

// differences runs prog against oracle and impl and describes every place
// where the transcripts or the resulting trees differ.
func differences(t *testing.T, prog program, oracle, impl afero.Fs) []string {
	t.Helper()
	run := func(fsys afero.Fs) (*rec, []string) {
		r := &rec{root: t.TempDir()}
		prog(r, fsys)
		return r, tree(t, r.root)
	}
	want, wantTree := run(oracle)
	got, gotTree := run(impl)
	var diffs []string
	diffs = append(diffs, diffLines("transcript", want.lines, got.lines)...)
	diffs = append(diffs, diffLines("tree", wantTree, gotTree)...)
	return diffs
}

func diffLines(what string, want, got []string) []string {
	var d []string
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			d = append(d, fmt.Sprintf("%s line %d:\n\tos:   %s\n\tours: %s", what, i, w, g))
		}
	}
	return d
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
		r.log("open missing", f, err)
		r.log("mkdir", fsys.Mkdir(r.p("d"), 0o755))
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

// stubInfo is a FileInfo type whose nil pointer the renderers must not call.
type stubInfo struct{ fs.FileInfo }

// TestFmtValNil renders the nil values a failed call returns: the
// renderers describe them instead of calling their methods.
func TestFmtValNil(t *testing.T) {
	r := &rec{root: t.TempDir()}
	for _, c := range []struct {
		v    any
		want string
	}{
		{withMtime{nil}, "FileInfo(nil)"},
		{withMtime{(*stubInfo)(nil)}, "FileInfo(typed nil *uring_test.stubInfo)"},
		{fs.FileInfo((*stubInfo)(nil)), "FileInfo(typed nil *uring_test.stubInfo)"},
		{error((*fs.PathError)(nil)), `typed nil *fs.PathError "Error() panicked: runtime error: invalid memory address or nil pointer dereference"`},
		{&fs.PathError{Op: "open", Path: "x", Err: (*os.SyscallError)(nil)}, `*PathError{open "x"}->typed nil *os.SyscallError "Error() panicked: runtime error: invalid memory address or nil pointer dereference"`},
		{nil, "nil"},
	} {
		var got string
		if p := catchPanic(func() { got = r.fmtVal(c.v) }); p != nil {
			t.Errorf("fmtVal(%#v) panicked: %v", c.v, p)
			continue
		}
		if got != c.want {
			t.Errorf("fmtVal(%#v) = %s, want %s", c.v, got, c.want)
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
		r.log("writefile", afero.WriteFile(fsys, r.p("f"), []byte("x"), 0o644))
		fi, err := fsys.Stat(r.p("f"))
		r.log("stat", withMtime{fi}, err)
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
	r.log("create", f, err)
	if err != nil {
		return
	}
	n, err := f.WriteString("hello, ")
	r.log("writestring", n, err)
	n, err = f.Write([]byte("world\n"))
	r.log("write", n, err)
	n, err = f.WriteAt([]byte("W"), 7)
	r.log("writeat", n, err)
	off, err := f.Seek(0, io.SeekCurrent)
	r.log("seek cur", off, err)
	off, err = f.Seek(2, io.SeekStart)
	r.log("seek start", off, err)
	buf := make([]byte, 4)
	n, err = f.Read(buf)
	r.log("read", n, err, buf[:n])
	n, err = f.ReadAt(buf, 10)
	r.log("readat at end", n, err, buf[:n])
	n, err = f.ReadAt(buf, -1)
	r.log("readat negative", n, err)
	fi, err := f.Stat()
	r.log("file stat", fi, err)
	r.log("sync", f.Sync())
	r.log("truncate", f.Truncate(5))
	fi, err = f.Stat()
	r.log("file stat after truncate", fi, err)
	r.log("name", f.Name())
	r.log("close", f.Close())
	r.log("close again", f.Close())
	n, err = f.Read(buf)
	r.log("read after close", n, err)
	n, err = f.Write(buf)
	r.log("write after close", n, err)
	_, err = f.Stat()
	r.log("stat after close", err)

	f, err = fsys.Open(r.p("a.txt"))
	r.log("open", f, err)
	if err == nil {
		data, err := io.ReadAll(f)
		r.log("readall", data, err)
		n, err := f.Write([]byte("x"))
		r.log("write to read-only", n, err)
		r.log("close", f.Close())
	}

	f, err = fsys.Open(r.p("missing"))
	r.log("open missing", f, err)
	f, err = fsys.Create(r.p("nodir/x"))
	r.log("create in missing dir", f, err)
	f, err = fsys.Create(r.p("a.txt/x"))
	r.log("create below a file", f, err)
	f, err = fsys.OpenFile(r.p("a.txt"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	r.log("openfile excl on existing", f, err)
	f, err = fsys.OpenFile(r.p(""), os.O_WRONLY, 0)
	r.log("openfile dir for writing", f, err)

	f, err = fsys.OpenFile(r.p("log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	r.log("openfile append", f, err)
	if err == nil {
		n, err := f.WriteString("one\n")
		r.log("append", n, err)
		n, err = f.WriteAt([]byte("x"), 0)
		r.log("writeat on append", n, err)
		r.log("close", f.Close())
	}
	f, err = fsys.OpenFile(r.p("log"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		n, err := f.WriteString("two\n")
		r.log("append again", n, err)
		r.log("close", f.Close())
	}

	r.log("mkdir", fsys.Mkdir(r.p("d"), 0o750))
	r.log("mkdir existing", fsys.Mkdir(r.p("d"), 0o750))
	r.log("mkdir in missing", fsys.Mkdir(r.p("x/y"), 0o750))
	r.log("mkdirall", fsys.MkdirAll(r.p("d/e/f"), 0o700))
	r.log("mkdirall existing", fsys.MkdirAll(r.p("d/e"), 0o700))
	r.log("mkdirall over file", fsys.MkdirAll(r.p("a.txt/g"), 0o700))
	for _, name := range []string{"d/1", "d/2", "d/3", "d/e/4"} {
		f, err := fsys.Create(r.p(name))
		if err == nil {
			f.Close()
		}
		r.log("create "+name, err)
	}

	f, err = fsys.Open(r.p("d"))
	r.log("open dir", f, err)
	if err == nil {
		n, err := f.Read(buf)
		r.log("read dir", n, err)
		names, err := f.Readdirnames(2)
		r.log("readdirnames(2)", len(names), err)
		infos, err := f.Readdir(-1)
		r.log("readdir rest", len(names)+len(infos), err)
		infos, err = f.Readdir(1)
		r.log("readdir at end", infos, err)
		off, err := f.Seek(0, io.SeekStart)
		r.log("seek dir", off, err)
		infos, err = f.Readdir(0)
		r.log("readdir after rewind", infos, err)
		if rdf, ok := f.(fs.ReadDirFile); ok {
			_, _ = f.Seek(0, io.SeekStart)
			entries, err := rdf.ReadDir(-1)
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
			r.log("readdir entries", entries, err)
		} else {
			r.log("not a ReadDirFile")
		}
		r.log("close dir", f.Close())
	}
	f, err = fsys.Open(r.p("a.txt"))
	if err == nil {
		names, err := f.Readdirnames(-1)
		r.log("readdirnames on file", sortedStrs(names), err)
		f.Close()
	}

	r.log("remove missing", fsys.Remove(r.p("missing")))
	r.log("remove nonempty dir", fsys.Remove(r.p("d/e")))
	r.log("remove file", fsys.Remove(r.p("d/1")))
	r.log("remove empty dir", fsys.Remove(r.p("d/e/f")))
	r.log("removeall", fsys.RemoveAll(r.p("d/e")))
	r.log("removeall missing", fsys.RemoveAll(r.p("d/missing")))
	r.log("removeall below file", fsys.RemoveAll(r.p("a.txt/x")))

	r.log("rename", fsys.Rename(r.p("d/2"), r.p("d/two")))
	r.log("rename missing", fsys.Rename(r.p("d/2"), r.p("d/two")))
	r.log("rename over file", fsys.Rename(r.p("d/3"), r.p("d/two")))
	r.log("rename file over dir", fsys.Rename(r.p("d/two"), r.p("d")))
	r.log("mkdir d2", fsys.Mkdir(r.p("d2"), 0o755))
	r.log("rename dir over empty dir", fsys.Rename(r.p("d2"), r.p("d")))
	r.log("rename into missing dir", fsys.Rename(r.p("a.txt"), r.p("nodir/a")))

	fi, err = fsys.Stat(r.p("a.txt"))
	r.log("stat", fi, err)
	fi, err = fsys.Stat(r.p("d"))
	r.log("stat dir", fi, err)
	fi, err = fsys.Stat(r.p("missing"))
	r.log("stat missing", fi, err)
	fi, err = fsys.Stat(r.p("a.txt/x"))
	r.log("stat below file", fi, err)
	fi, err = fsys.Stat(r.p("d/"))
	r.log("stat trailing slash", fi, err)
	fi, err = fsys.Stat(r.p("a.txt/"))
	r.log("stat file trailing slash", fi, err)

	r.log("chmod", fsys.Chmod(r.p("a.txt"), 0o640))
	r.log("chmod setuid sticky", fsys.Chmod(r.p("d"), 0o755|fs.ModeSticky|fs.ModeSetgid))
	r.log("chmod missing", fsys.Chmod(r.p("missing"), 0o640))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.log("stat after chmod", fi, err)
	fi, err = fsys.Stat(r.p("d"))
	r.log("stat dir after chmod", fi, err)

	r.log("chown self", fsys.Chown(r.p("a.txt"), os.Getuid(), os.Getgid()))
	r.log("chown -1", fsys.Chown(r.p("a.txt"), -1, -1))
	r.log("chown missing", fsys.Chown(r.p("missing"), os.Getuid(), os.Getgid()))

	when := time.Date(2020, 2, 29, 12, 30, 15, 123456789, time.UTC)
	r.log("chtimes", fsys.Chtimes(r.p("a.txt"), when, when))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.log("stat after chtimes", withMtime{fi}, err)
	r.log("chtimes zero (unchanged)", fsys.Chtimes(r.p("a.txt"), time.Time{}, time.Time{}))
	fi, err = fsys.Stat(r.p("a.txt"))
	r.log("stat after zero chtimes", withMtime{fi}, err)
	r.log("chtimes missing", fsys.Chtimes(r.p("missing"), when, when))

	sl, ok := fsys.(afero.Symlinker)
	r.log("is Symlinker", ok)
	if !ok {
		return
	}
	r.log("symlink", sl.SymlinkIfPossible("a.txt", r.p("link")))
	r.log("symlink abs", sl.SymlinkIfPossible(r.p("d"), r.p("dlink")))
	r.log("symlink dangling", sl.SymlinkIfPossible("nowhere", r.p("dangling")))
	r.log("symlink existing", sl.SymlinkIfPossible("a.txt", r.p("link")))
	fi, lstatted, err := sl.LstatIfPossible(r.p("link"))
	r.log("lstat link", fi, lstatted, err)
	fi, lstatted, err = sl.LstatIfPossible(r.p("a.txt"))
	r.log("lstat file", fi, lstatted, err)
	fi, lstatted, err = sl.LstatIfPossible(r.p("missing"))
	r.log("lstat missing", fi, lstatted, err)
	fi, err = fsys.Stat(r.p("link"))
	r.log("stat through link", fi, err)
	fi, err = fsys.Stat(r.p("dangling"))
	r.log("stat dangling", fi, err)
	target, err := sl.ReadlinkIfPossible(r.p("link"))
	r.log("readlink", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("dlink"))
	r.log("readlink abs", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("a.txt"))
	r.log("readlink on file", target, err)
	target, err = sl.ReadlinkIfPossible(r.p("missing"))
	r.log("readlink missing", target, err)
	f, err = fsys.Open(r.p("dlink/two"))
	r.log("open through dir link", f, err)
	if err == nil {
		f.Close()
	}
	r.log("remove link", fsys.Remove(r.p("link")))
}

func TestBasicOps(t *testing.T) { compareWithOs(t, basicOps) }

// utilities runs afero's helper functions, which combine the Fs methods.
func utilities(r *rec, fsys afero.Fs) {
	r.log("writefile", afero.WriteFile(fsys, r.p("w/a.txt"), []byte("x"), 0o644))
	r.log("mkdirall w", fsys.MkdirAll(r.p("w/sub/deeper"), 0o755))
	r.log("writefile", afero.WriteFile(fsys, r.p("w/a.txt"), []byte("alpha\n"), 0o644))
	r.log("writefile", afero.WriteFile(fsys, r.p("w/sub/b.go"), []byte("package b\n"), 0o600))
	r.log("writefile", afero.WriteFile(fsys, r.p("w/sub/c.go"), []byte("package c\n"), 0o600))
	r.log("writefile", afero.WriteFile(fsys, r.p("w/sub/deeper/d.txt"), bytes.Repeat([]byte("d"), 70000), 0o644))
	data, err := afero.ReadFile(fsys, r.p("w/a.txt"))
	r.log("readfile", data, err)
	data, err = afero.ReadFile(fsys, r.p("w/sub/deeper/d.txt"))
	r.log("readfile big", len(data), err)
	data, err = afero.ReadFile(fsys, r.p("w/missing"))
	r.log("readfile missing", data, err)
	data, err = afero.ReadFile(fsys, r.p("w"))
	r.log("readfile dir", data, err)
	infos, err := afero.ReadDir(fsys, r.p("w/sub"))
	r.log("afero.ReadDir", infos, err)
	infos, err = afero.ReadDir(fsys, r.p("w/missing"))
	r.log("afero.ReadDir missing", infos, err)

	for _, name := range []string{"w", "w/a.txt", "w/missing", "w/a.txt/x"} {
		ok, err := afero.Exists(fsys, r.p(name))
		r.log("exists "+name, ok, err)
		ok, err = afero.DirExists(fsys, r.p(name))
		r.log("direxists "+name, ok, err)
		ok, err = afero.IsDir(fsys, r.p(name))
		r.log("isdir "+name, ok, err)
		ok, err = afero.IsEmpty(fsys, r.p(name))
		r.log("isempty "+name, ok, err)
	}
	ok, err := afero.FileContainsBytes(fsys, r.p("w/a.txt"), []byte("ph"))
	r.log("containsbytes", ok, err)
	ok, err = afero.FileContainsAnyBytes(fsys, r.p("w/sub/b.go"), [][]byte{[]byte("zz"), []byte("age")})
	r.log("containsanybytes", ok, err)

	matches, err := afero.Glob(fsys, r.p("w/sub/*.go"))
	r.log("glob", matches, err)
	matches, err = afero.Glob(fsys, r.p("w/*/*"))
	r.log("glob 2", matches, err)
	matches, err = afero.Glob(fsys, r.p("w/[a"))
	r.log("glob bad", matches, err)

	var walked []string
	err = afero.Walk(fsys, r.p("w"), func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", r.norm(path), r.fmtInfo(info), r.fmtErr(err)))
		if info != nil && info.Name() == "deeper" {
			return filepath.SkipDir
		}
		return nil
	})
	r.log("walk", walked, err)
	walked = nil
	err = afero.Walk(fsys, r.p("w/missing"), func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", r.norm(path), r.fmtInfo(info), r.fmtErr(err)))
		return err
	})
	r.log("walk missing", walked, err)

	f, err := afero.TempFile(fsys, r.p("w"), "pre*.suf")
	if err != nil {
		r.log("tempfile", err)
	} else {
		base := filepath.Base(f.Name())
		r.log("tempfile", filepath.Dir(f.Name()), strings.HasPrefix(base, "pre"), strings.HasSuffix(base, ".suf"))
		fi, err := f.Stat()
		r.log("tempfile stat mode", fi.Mode(), err)
		n, err := f.WriteString("temp")
		r.log("tempfile write", n, err)
		r.log("tempfile close", f.Close())
		r.log("rename tempfile", fsys.Rename(f.Name(), r.p("w/tempfile")))
	}
	f, err = afero.TempFile(fsys, r.p("w/missing"), "x")
	var pe *fs.PathError
	errors.As(err, &pe)
	r.log("tempfile in missing dir", f, fmt.Sprintf("%T", err), pe != nil && pe.Err == syscall.ENOENT)
	dir, err := afero.TempDir(fsys, r.p("w"), "tdir")
	if err != nil {
		r.log("tempdir", err)
	} else {
		r.log("tempdir", filepath.Dir(dir), strings.HasPrefix(filepath.Base(dir), "tdir"))
		fi, err := fsys.Stat(dir)
		r.log("tempdir stat", fi.Mode(), err)
		r.log("rename tempdir", fsys.Rename(dir, r.p("w/tempdir")))
	}

	r.log("writereader", afero.WriteReader(fsys, r.p("w/new/r.txt"), strings.NewReader("reader\n")))
	r.log("safewritereader existing", afero.SafeWriteReader(fsys, r.p("w/new/r.txt"), strings.NewReader("again\n")))
	r.log("safewritereader", afero.SafeWriteReader(fsys, r.p("w/new/s.txt"), strings.NewReader("safe\n")))

	a := &afero.Afero{Fs: fsys}
	data, err = a.ReadFile(r.p("w/new/s.txt"))
	r.log("Afero.ReadFile", data, err)
}

func TestUtilities(t *testing.T) { compareWithOs(t, utilities) }

func TestBasePathFs(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		fsys := afero.NewBasePathFs(backend, r.root)
		r.log("mkdirall", fsys.MkdirAll("/a/b", 0o755))
		f, err := fsys.Create("/a/b/file")
		r.log("create", f, err)
		if err == nil {
			n, err := f.WriteString("based")
			r.log("write", n, err)
			r.log("close", f.Close())
		}
		f, err = fsys.Create("/nodir/file")
		r.log("create in missing dir", f, err)
		f, err = fsys.Open("/a/b/file")
		r.log("open", f, err)
		if err == nil {
			if rdf, ok := f.(fs.ReadDirFile); ok {
				entries, err := rdf.ReadDir(-1)
				r.log("readdir on file", entries, err)
			}
			data, err := io.ReadAll(f)
			r.log("read", data, err)
			f.Close()
		}
		f, err = fsys.Open("/a")
		if err == nil {
			entries, err := f.(fs.ReadDirFile).ReadDir(-1)
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
			r.log("readdir", entries, err)
			f.Close()
		}
		f, err = fsys.Open("/missing")
		r.log("open missing", f, err)
		f, err = fsys.Open("../../escape")
		r.log("open outside", f, err)
		fi, err := fsys.Stat("a/b/file")
		r.log("stat", fi, err)
		fi, err = fsys.Stat("/missing")
		r.log("stat missing", fi, err)
		r.log("rename", fsys.Rename("/a/b/file", "/a/file"))
		r.log("rename missing", fsys.Rename("/a/b/file", "/a/file2"))
		r.log("chmod", fsys.Chmod("/a/file", 0o600))
		r.log("chtimes", fsys.Chtimes("/a/file", time.Unix(1e9, 0), time.Unix(1e9, 0)))
		fi, err = fsys.Stat("/a/file")
		r.log("stat after chmod, chtimes", withMtime{fi}, err)
		r.log("remove nonempty", fsys.Remove("/a"))
		r.log("remove missing", fsys.Remove("/a/missing"))

		sl := fsys.(afero.Symlinker)
		r.log("symlink", sl.SymlinkIfPossible("file", "/a/link"))
		target, err := sl.ReadlinkIfPossible("/a/link")
		r.log("readlink", target, err)
		fi, lstatted, err := sl.LstatIfPossible("/a/link")
		r.log("lstat", fi, lstatted, err)
		fi, lstatted, err = sl.LstatIfPossible("/a/none")
		r.log("lstat missing", fi, lstatted, err)

		r.log("removeall", fsys.RemoveAll("/a/b"))
		r.log("mkdir", fsys.Mkdir("/a/c", 0o700))
		r.log("mkdir existing", fsys.Mkdir("/a/c", 0o700))
	})
}

func TestReadOnlyFs(t *testing.T) {
	compareWithOs(t, func(r *rec, backend afero.Fs) {
		r.log("writefile", afero.WriteFile(backend, r.p("ro.txt"), []byte("read only"), 0o644))
		r.log("mkdir", backend.Mkdir(r.p("dir"), 0o755))
		fsys := afero.NewReadOnlyFs(backend)
		f, err := fsys.Open(r.p("ro.txt"))
		r.log("open", f, err)
		if err == nil {
			data, err := io.ReadAll(f)
			r.log("read", data, err)
			f.Close()
		}
		f, err = fsys.Open(r.p("missing"))
		r.log("open missing", f, err)
		f, err = fsys.OpenFile(r.p("ro.txt"), os.O_RDWR, 0)
		r.log("openfile rdwr", f, err)
		f, err = fsys.OpenFile(r.p("ro.txt"), os.O_RDONLY, 0)
		r.log("openfile rdonly", f, err)
		if err == nil {
			f.Close()
		}
		f, err = fsys.Create(r.p("new"))
		r.log("create", f, err)
		r.log("remove", fsys.Remove(r.p("ro.txt")))
		r.log("mkdir", fsys.Mkdir(r.p("x"), 0o755))
		r.log("chmod", fsys.Chmod(r.p("ro.txt"), 0o600))
		fi, err := fsys.Stat(r.p("ro.txt"))
		r.log("stat", fi, err)
		fi, err = fsys.Stat(r.p("missing"))
		r.log("stat missing", fi, err)
		fi, lstatted, err := fsys.(afero.Lstater).LstatIfPossible(r.p("dir"))
		r.log("lstat", fi, lstatted, err)
		infos, err := afero.ReadDir(fsys, r.p(""))
		r.log("readdir", infos, err)
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
	r.log("open base file", f != nil, err)
	if err == nil {
		data, err := io.ReadAll(f)
		r.log("read base file", data, err)
		f.Close()
	}
	fi, err := cow.Stat("/base/file")
	r.log("stat base file", withMtime{fi}, err)
	fi, err = cow.Stat("/missing")
	r.log("stat missing", fi, err)
	fi, err = cow.Stat("/top/below")
	r.log("stat below file", fi, err)
	f, err = cow.Open("/missing")
	r.log("open missing", f, err)

	f, err = cow.OpenFile("/base/file", os.O_WRONLY|os.O_APPEND, 0)
	r.log("openfile base file for append", f != nil, err)
	if err == nil {
		n, err := f.Write([]byte("layered\n"))
		r.log("append", n, err)
		f.Close()
	}
	data, err := afero.ReadFile(cow, "/base/file")
	r.log("read back", data, err)
	fi, err = cow.Stat("/base/file")
	r.log("stat copied file", fi, err)

	f, err = cow.Create("/base/sub/new")
	r.log("create in base dir", f != nil, err)
	if err == nil {
		f.WriteString("new\n")
		f.Close()
	}
	f, err = cow.Create("/nodir/new")
	r.log("create in missing dir", f, err)
	f, err = cow.Create("/top/new")
	r.log("create below file", f, err)
	r.log("mkdir", cow.Mkdir("/made", 0o755))
	r.log("mkdir existing base dir", cow.Mkdir("/base", 0o755))
	r.log("mkdirall", cow.MkdirAll("/both/x/y", 0o755))
	r.log("writefile", afero.WriteFile(cow, "/both/fromLayer", []byte("l\n"), 0o644))

	f, err = cow.Open("/both")
	r.log("open union dir", f != nil, err)
	if err == nil {
		names, err := f.Readdirnames(-1)
		r.log("union readdirnames", sortedStrs(names), err)
		f.Close()
	}
	infos, err := afero.ReadDir(cow, "/base")
	r.log("readdir base", infos, err)

	r.log("chmod base file", cow.Chmod("/top", 0o600))
	r.log("chtimes", cow.Chtimes("/base/sub/deep", time.Unix(2e9, 0), time.Unix(2e9, 0)))
	fi, err = cow.Stat("/base/sub/deep")
	r.log("stat after chtimes", withMtime{fi}, err)
	r.log("chmod missing", cow.Chmod("/missing", 0o600))

	r.log("remove base-only file", cow.Remove("/both/fromBase"))
	r.log("remove layer file", cow.Remove("/both/fromLayer"))
	r.log("remove missing", cow.Remove("/missing"))
	r.log("removeall missing", cow.RemoveAll("/missing"))
	r.log("rename base-only file", cow.Rename("/base/sub/deep", "/deep"))
	r.log("rename layer file", cow.Rename("/base/sub/new", "/base/sub/renamed"))
	r.log("rename missing", cow.Rename("/missing", "/x"))

	if ls, ok := cow.(afero.Lstater); ok {
		fi, lstatted, err := ls.LstatIfPossible("/base/file")
		r.log("lstat", fi, lstatted, err)
		fi, lstatted, err = ls.LstatIfPossible("/missing")
		r.log("lstat missing", fi, lstatted, err)
	}

	var walked []string
	err = afero.Walk(cow, "/", func(path string, info fs.FileInfo, err error) error {
		walked = append(walked, fmt.Sprintf("%s %s %s", path, r.fmtInfo(info), r.fmtErr(err)))
		return nil
	})
	r.log("walk", walked, err)
}

// memTree renders a MemMapFs's contents.
func memTree(r *rec, m afero.Fs) []string {
	var out []string
	_ = afero.Walk(m, "/", func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			out = append(out, path+" "+r.fmtErr(err))
			return nil
		}
		line := fmt.Sprintf("%s %v", path, info.Mode())
		if info.Mode().IsRegular() {
			data, err := afero.ReadFile(m, path)
			line += fmt.Sprintf(" %q %s", data, r.fmtErr(err))
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
		r.log("layer", memTree(r, layer))
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
		r.log("fs.ReadFile", data, err)
		data, err = fs.ReadFile(fsys, "a/missing")
		r.log("fs.ReadFile missing", data, err)
		data, err = fs.ReadFile(fsys, "../x")
		r.log("fs.ReadFile invalid", data, err)
		entries, err := fs.ReadDir(fsys, "a")
		r.log("fs.ReadDir", entries, err)
		entries, err = fs.ReadDir(fsys, "missing")
		r.log("fs.ReadDir missing", entries, err)
		fi, err := fs.Stat(fsys, "z.md")
		r.log("fs.Stat", fi, err)
		fi, err = fs.Stat(fsys, "nope")
		r.log("fs.Stat missing", fi, err)
		matches, err := fs.Glob(fsys, "a/*.txt")
		r.log("fs.Glob", matches, err)
		sub, err := fs.Sub(fsys, "a")
		r.log("fs.Sub", err)
		if err == nil {
			data, err := fs.ReadFile(sub, "y.txt")
			r.log("sub ReadFile", data, err)
		}
		f, err := fsys.Open("a")
		r.log("open dir", err)
		if err == nil {
			rdf := f.(fs.ReadDirFile)
			e1, err := rdf.ReadDir(1)
			r.log("ReadDir(1)", len(e1), err)
			e2, err := rdf.ReadDir(5)
			r.log("ReadDir(5)", len(e2), err)
			e3, err := rdf.ReadDir(5)
			r.log("ReadDir(5) at end", e3, err)
			f.Close()
		}
		var walked []string
		err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			walked = append(walked, fmt.Sprintf("%s %v %s", path, d.Type(), r.fmtErr(err)))
			return nil
		})
		r.log("fs.WalkDir", walked, err)
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
