package testkit_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// record runs the same small program against dir and returns its steps.
func record(dir string, extra func(r *testkit.Recorder)) []testkit.Step {
	r := testkit.NewRecorder(dir)
	_, err := os.Open(filepath.Join(dir, "missing"))
	r.Record("open missing", err)
	r.Record("mkdir", os.Mkdir(filepath.Join(dir, "d"), 0o755))
	r.Record("write", os.WriteFile(filepath.Join(dir, "d", "f"), []byte("data"), 0o644))
	fi, err := os.Stat(filepath.Join(dir, "d", "f"))
	r.Record("stat", fi, err)
	entries, err := os.ReadDir(filepath.Join(dir, "d"))
	r.Record("readdir", entries, err)
	r.Record("rename", os.Rename(filepath.Join(dir, "nope"), filepath.Join(dir, "d", "g")))
	r.Record("name", filepath.Join(dir, "d", "f"))
	if extra != nil {
		extra(r)
	}
	return r.Steps()
}

func TestRecorderSameProgramSameTranscript(t *testing.T) {
	a, b := record(t.TempDir(), nil), record(t.TempDir(), nil)
	if d := testkit.Differences("a", "b", a, b, 0); len(d) != 0 {
		t.Errorf("two runs of one program differ:\n%s", strings.Join(d, "\n"))
	}
	if len(a) != 7 {
		t.Fatalf("%d steps, want 7", len(a))
	}
	for _, want := range []string{`*fs.PathError{Op:"open" Path:"$DIR/missing"} > Errno(2)`, "is[fs.ErrNotExist]", `"open $DIR/missing: no such file or directory"`} {
		if !strings.Contains(a[0].Value, want) {
			t.Errorf("open missing recorded as %s; lacks %s", a[0].Value, want)
		}
	}
	if want := `*os.LinkError{Op:"rename" Old:"$DIR/nope" New:"$DIR/d/g"}`; !strings.Contains(a[5].Value, want) {
		t.Errorf("rename recorded as %s; lacks %s", a[5].Value, want)
	}
}

// wrapped is an error type of its own around another.
type wrapped struct{ err error }

func (w wrapped) Error() string { return w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

// TestFormatTellsErrorsApart checks that errors a caller can tell apart
// render differently: by type anywhere in the chain, by a field of the os
// error types, by errno, by a sentinel matched, and by message.
func TestFormatTellsErrorsApart(t *testing.T) {
	base := &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"op", &fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOENT}},
		{"path", &fs.PathError{Op: "open", Path: "/y", Err: syscall.ENOENT}},
		{"errno", &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOTDIR}},
		{"outer type", &os.LinkError{Op: "open", Old: "/x", Err: syscall.ENOENT}},
		{"inner type", &fs.PathError{Op: "open", Path: "/x", Err: wrapped{syscall.ENOENT}}},
		{"same text, other errno", &fs.PathError{Op: "open", Path: "/x", Err: errors.New("no such file or directory")}},
		{"wrapped once more", fmt.Errorf("open /x: %w", syscall.ENOENT)},
		{"sentinel", &fs.PathError{Op: "open", Path: "/x", Err: fmt.Errorf("%w", fs.ErrNotExist)}},
		{"typed nil", (*fs.PathError)(nil)},
		{"nil", nil},
	} {
		if testkit.DiffErrors(base, c.err) == "" {
			t.Errorf("%s: %v renders as %v does: %s", c.name, c.err, base, testkit.FormatError(c.err, ""))
		}
	}
	if d := testkit.DiffErrors(base, &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}); d != "" {
		t.Errorf("equal errors differ:%s", d)
	}
	if s := testkit.FormatError(io.EOF, ""); !strings.Contains(s, "==io.EOF") {
		t.Errorf("io.EOF renders as %s, without its identity", s)
	}
	if s := testkit.FormatError(fmt.Errorf("x: %w", io.EOF), ""); strings.Contains(s, "==io.EOF") || !strings.Contains(s, "is[io.EOF]") {
		t.Errorf("a wrapped io.EOF renders as %s", s)
	}
}

// stubInfo is a FileInfo type whose nil pointer must not be called.
type stubInfo struct{ fs.FileInfo }

// stubFile is a file type whose nil pointer must not be called.
type stubFile struct{ name string }

func (f *stubFile) Name() string { return f.name }

// TestFormatNilValues renders the nil values a failed call returns without
// calling their methods, and tells them apart.
func TestFormatNilValues(t *testing.T) {
	r := testkit.NewRecorder("")
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "nil"},
		{testkit.WithModTime(nil), "FileInfo(nil)"},
		{testkit.WithModTime((*stubInfo)(nil)), "FileInfo(typed nil)"},
		{fs.FileInfo((*stubInfo)(nil)), "FileInfo(typed nil)"},
		{(*stubFile)(nil), "File(typed nil)"},
		{&stubFile{"f"}, `File(name="f")`},
		{error((*fs.PathError)(nil)), "err=typed nil *fs.PathError"},
		{&fs.PathError{Op: "open", Path: "x", Err: (*os.SyscallError)(nil)},
			`err=*fs.PathError{Op:"open" Path:"x"} > typed nil *os.SyscallError is[] "Error() panicked: runtime error: invalid memory address or nil pointer dereference"`},
		{[]byte(nil), "[]byte(nil)"},
		{[]byte{}, `""`},
		{[]string(nil), "[]string(nil)"},
		{[]string{}, "[]string(len=0){}"},
		{[]fs.DirEntry(nil), "[]fs.DirEntry(nil)"},
		{[]fs.FileInfo{}, "[]fs.FileInfo(len=0){}"},
	} {
		var got string
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("Format(%#v) panicked: %v", c.v, p)
				}
			}()
			got = r.Format(c.v)
		}()
		if got != c.want {
			t.Errorf("Format(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestFormatValues(t *testing.T) {
	r := testkit.NewRecorder("/base/run1")
	r.Alias("/base", "$BASE")
	for _, c := range []struct {
		v    any
		want string
	}{
		{"/base/run1/f and /base/other", `"$DIR/f and $BASE/other"`},
		{[]string{"b", "a"}, `[]string(len=2){"b", "a"}`},
		{testkit.Sorted([]string{"b", "a"}), `[]string(len=2){"a", "b"}`},
		{42, "int(42)"},
		{testkit.Verbatim("fd=valid in /base/run1"), "fd=valid in $DIR"},
		{fs.FileMode(0o640), "-rw-r-----"},
		{time.Unix(5, 0), "5000000000"},
		{make([]byte, 100), `100 bytes "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"... sha256=`},
	} {
		if got := r.Format(c.v); !strings.HasPrefix(got, c.want) {
			t.Errorf("Format(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
}

// TestDifferencesReport checks the report of two transcripts that differ:
// in a value, in a label, and in length.
func TestDifferencesReport(t *testing.T) {
	dir := t.TempDir()
	want := record(dir, func(r *testkit.Recorder) { r.Record("last", 1) })
	got := record(t.TempDir(), func(r *testkit.Recorder) {
		r.Record("other", 1)
		r.Record("extra", 2)
	})
	got[3].Value = strings.Replace(got[3].Value, "size=4", "size=3", 1)
	d := testkit.Differences("os", "ours", want, got, 0)
	if len(d) != 3 {
		t.Fatalf("%d differences, want 3:\n%s", len(d), strings.Join(d, "\n"))
	}
	for i, wants := range [][]string{
		{"step 3 stat:\n\tos:   FileInfo{", "size=4", "\n\tours: FileInfo{", "size=3"},
		{"step 7 diverged:\n\tos:   last: int(1)\n\tours: other: int(1)"},
		{"step 8 diverged:\n\tos:   (transcript ended)\n\tours: extra: int(2)"},
	} {
		for _, w := range wants {
			if !strings.Contains(d[i], w) {
				t.Errorf("difference %d:\n%s\nlacks %q", i, d[i], w)
			}
		}
	}
	if d := testkit.Differences("os", "ours", want, got, 1); len(d) != 2 || d[1] != "(further steps differ too)" {
		t.Errorf("limit 1: %q", d)
	}
}
