//go:build linux

package uringfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// pathAPI is the set of package functions uringfs mirrors from os; the
// differential tests call each case through os's and through ours.
type pathAPI struct {
	name      string
	ReadFile  func(string) ([]byte, error)
	WriteFile func(string, []byte, fs.FileMode) error
	Mkdir     func(string, fs.FileMode) error
	MkdirAll  func(string, fs.FileMode) error
	Remove    func(string) error
	RemoveAll func(string) error
	Rename    func(string, string) error
	Symlink   func(string, string) error
	Link      func(string, string) error
	Readlink  func(string) (string, error)
	Chmod     func(string, fs.FileMode) error
	Chown     func(string, int, int) error
	Lchown    func(string, int, int) error
	Chtimes   func(string, time.Time, time.Time) error
	Truncate  func(string, int64) error
	ReadDir   func(string) ([]fs.DirEntry, error)
}

var (
	osPathAPI = pathAPI{"os", os.ReadFile, os.WriteFile, os.Mkdir, os.MkdirAll, os.Remove,
		os.RemoveAll, os.Rename, os.Symlink, os.Link, os.Readlink, os.Chmod, os.Chown, os.Lchown,
		os.Chtimes, os.Truncate, os.ReadDir}
	ourPathAPI = pathAPI{"uringfs", uringfs.ReadFile, uringfs.WriteFile, uringfs.Mkdir,
		uringfs.MkdirAll, uringfs.Remove, uringfs.RemoveAll, uringfs.Rename, uringfs.Symlink,
		uringfs.Link, uringfs.Readlink, uringfs.Chmod, uringfs.Chown, uringfs.Lchown,
		uringfs.Chtimes, uringfs.Truncate, uringfs.ReadDir}
)

// fixtureTime is the time every fixture file carries, so cases that leave
// a time alone can compare it.
var fixtureTime = time.Date(2001, 2, 3, 4, 5, 6, 700, time.UTC)

// longTarget is a symlink target longer than Readlink's first buffer.
var longTarget = strings.Repeat("long/", 60) + "end"

// buildFixture makes the tree every differential case starts from, in the
// working directory.
func buildFixture(t *testing.T) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile("file", []byte("hello\n"), 0o644))
	must(os.WriteFile("empty", nil, 0o600))
	must(os.MkdirAll("dir/sub", 0o755))
	must(os.WriteFile("dir/a", []byte("a"), 0o644))
	must(os.WriteFile("dir/sub/b", []byte("bb"), 0o640))
	must(os.Mkdir("emptydir", 0o755))
	must(os.Symlink("file", "link"))
	must(os.Symlink("dir", "dlink"))
	must(os.Symlink("nowhere", "broken"))
	must(os.Symlink(longTarget, "longlink"))
	for _, name := range []string{"file", "empty", "dir/a", "dir/sub/b", "dir/sub", "dir", "emptydir"} {
		must(os.Chtimes(name, fixtureTime, fixtureTime))
	}
}

// pathCase is one differential case: setup (optional) changes the fixture
// in the working directory, run calls the API and returns what to compare
// besides the error and the tree.
type pathCase struct {
	name  string
	setup func(t *testing.T)
	run   func(t *testing.T, a pathAPI) (any, error)
}

// runPathCases runs each case on a fresh fixture through os and through
// uringfs, with relative names so that error paths match byte for byte, and
// compares the value, the error and the tree left behind (with owners).
func runPathCases(t *testing.T, cases []pathCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var recs [2]*testkit.Recorder
			var trees [2]testkit.Tree
			for i, a := range []pathAPI{osPathAPI, ourPathAPI} {
				dir := t.TempDir()
				t.Chdir(dir)
				buildFixture(t)
				if c.setup != nil {
					c.setup(t)
				}
				v, err := c.run(t, a)
				recs[i] = testkit.NewRecorder(dir)
				if wd, err := os.Getwd(); err == nil {
					recs[i].Alias(wd, "$DIR")
				}
				recs[i].Record("result", v)
				recs[i].Record("error", err)
				trees[i] = testkit.Snapshot(".", &testkit.SnapshotOptions{Owner: true})
			}
			for _, d := range testkit.Differences("os", "uringfs", recs[0].Steps(), recs[1].Steps(), 0) {
				t.Error(d)
			}
			if d := trees[0].Diff(trees[1], "os", "uringfs"); d != "" {
				t.Errorf("tree differs:\n%s", d)
			}
			if testing.Verbose() {
				t.Logf("both: %s", strings.Join(recs[0].Lines(), "; "))
			}
		})
	}
}

// errOnly adapts a call that returns only an error.
func errOnly(fn func(a pathAPI) error) func(*testing.T, pathAPI) (any, error) {
	return func(_ *testing.T, a pathAPI) (any, error) { return nil, fn(a) }
}

func TestReadFileDiff(t *testing.T) {
	read := func(name string) func(*testing.T, pathAPI) (any, error) {
		return func(_ *testing.T, a pathAPI) (any, error) {
			b, err := a.ReadFile(name)
			return b, err // nil and empty differ here, as they may for callers
		}
	}
	runPathCases(t, []pathCase{
		{name: "file", run: read("file")},
		{name: "empty", run: read("empty")},
		{name: "through symlink", run: read("link")},
		{name: "broken symlink", run: read("broken")},
		{name: "missing", run: read("missing")},
		{name: "directory", run: read("dir")},
		{name: "not a directory", run: read("file/x")},
		{name: "empty name", run: read("")},
		{name: "NUL", run: read("fi\x00le")},
		{name: "trailing slash", run: read("file/")},
		{name: "dev null", run: read("/dev/null")},
	})
}

// TestReadFileSizes reads files around the buffer sizes ReadFile picks and
// a several-MiB file, and compares with os.ReadFile.
func TestReadFileSizes(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 511, 512, 513, 4096, 65537, 5<<20 + 3} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		name := filepath.Join(dir, strconv.Itoa(n))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := uringfs.ReadFile(name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ReadFile(%d bytes) = %d bytes, %v; want the file's bytes", n, len(got), err)
		}
	}
}

// TestReadFileProc reads files that stat as empty but are not, where
// reading from a size of 0 must still return everything.
func TestReadFileProc(t *testing.T) {
	for _, name := range []string{"/proc/self/mountinfo", "/proc/filesystems", "/proc/version", "/proc/self/cmdline"} {
		want, werr := os.ReadFile(name)
		got, gerr := uringfs.ReadFile(name)
		if d := testkit.DiffErrors(werr, gerr); d != "" {
			t.Errorf("ReadFile(%s): %s", name, d)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("ReadFile(%s) = %d bytes, os.ReadFile %d bytes", name, len(got), len(want))
		}
		if werr == nil && len(want) == 0 {
			t.Errorf("os.ReadFile(%s) is empty: the test proves nothing", name)
		}
	}
}

func TestReadWriteFileContext(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	if err := uringfs.WriteFileContext(context.Background(), name, []byte("ctx"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := uringfs.ReadFileContext(context.Background(), name); err != nil || string(b) != "ctx" {
		t.Fatalf("ReadFileContext = %q, %v", b, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := uringfs.ReadFileContext(ctx, name)
	var pe *fs.PathError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != name {
		t.Errorf("ReadFileContext(cancelled) error = %#v, want PathError{open, %s, context.Canceled}", err, name)
	}
	other := filepath.Join(dir, "g")
	err = uringfs.WriteFileContext(ctx, other, []byte("x"), 0o600)
	if !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != other {
		t.Errorf("WriteFileContext(cancelled) error = %#v, want PathError{open, %s, context.Canceled}", err, other)
	}
	if _, err := os.Lstat(other); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFileContext(cancelled) created the file: Lstat error %v", err)
	}
}

func TestWriteFileDiff(t *testing.T) {
	write := func(name string, data string, perm fs.FileMode) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.WriteFile(name, []byte(data), perm) })
	}
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	runPathCases(t, []pathCase{
		{name: "new", run: write("new", "data", 0o644)},
		{name: "new 0600", run: write("new", "data", 0o600)},
		{name: "new setuid sticky", run: write("new", "data", 0o755|fs.ModeSetuid|fs.ModeSticky)},
		{name: "new empty", run: write("new", "", 0o644)},
		{name: "big", run: write("new", big, 0o644)},
		{name: "existing truncates keeps mode", run: write("empty", "x", 0o777)},
		{name: "shorter than existing", run: write("file", "h", 0o644)},
		{name: "through symlink", run: write("link", "via link", 0o644)},
		{name: "broken symlink creates target", run: write("broken", "now", 0o644)},
		{name: "directory", run: write("dir", "x", 0o644)},
		{name: "missing parent", run: write("nope/new", "x", 0o644)},
		{name: "parent is file", run: write("file/new", "x", 0o644)},
		{name: "empty name", run: write("", "x", 0o644)},
		{name: "NUL", run: write("a\x00b", "x", 0o644)},
		{name: "dev null", run: write("/dev/null", "x", 0o644)},
	})
}

func TestMkdirDiff(t *testing.T) {
	mkdir := func(name string, perm fs.FileMode) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Mkdir(name, perm) })
	}
	runPathCases(t, []pathCase{
		{name: "new", run: mkdir("new", 0o755)},
		{name: "new 0700", run: mkdir("new", 0o700)},
		{name: "sticky", run: mkdir("new", 0o777|fs.ModeSticky)},
		{name: "setgid", run: mkdir("new", 0o755|fs.ModeSetgid)},
		{name: "nested", run: mkdir("dir/new", 0o755)},
		{name: "trailing slash", run: mkdir("new/", 0o755)},
		{name: "exists dir", run: mkdir("dir", 0o755)},
		{name: "exists file", run: mkdir("file", 0o755)},
		{name: "exists symlink", run: mkdir("broken", 0o755)},
		{name: "missing parent", run: mkdir("nope/new", 0o755)},
		{name: "parent is file", run: mkdir("file/new", 0o755)},
		{name: "dot", run: mkdir(".", 0o755)},
		{name: "empty name", run: mkdir("", 0o755)},
		{name: "NUL", run: mkdir("a\x00b", 0o755)},
	})
}

func TestMkdirAllDiff(t *testing.T) {
	mkdirAll := func(name string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.MkdirAll(name, 0o750) })
	}
	runPathCases(t, []pathCase{
		{name: "new deep", run: mkdirAll("a/b/c/d")},
		{name: "existing", run: mkdirAll("dir/sub")},
		{name: "partly existing", run: mkdirAll("dir/sub/x/y")},
		{name: "trailing slashes", run: mkdirAll("a/b//")},
		{name: "double slashes", run: mkdirAll("a//b///c")},
		{name: "dot end", run: mkdirAll("a/b/.")},
		{name: "dotdot end", run: mkdirAll("a/b/..")},
		{name: "dot", run: mkdirAll(".")},
		{name: "is file", run: mkdirAll("file")},
		{name: "under file", run: mkdirAll("file/a/b")},
		{name: "through dir symlink", run: mkdirAll("dlink/new/x")},
		{name: "through file symlink", run: mkdirAll("link/x")},
		{name: "is broken symlink", run: mkdirAll("broken")},
		{name: "under broken symlink", run: mkdirAll("broken/x")},
		{name: "absolute existing", run: mkdirAll("/")},
		{name: "empty name", run: mkdirAll("")},
		{name: "NUL", run: mkdirAll("a/b\x00/c")},
	})
}

func TestRemoveDiff(t *testing.T) {
	remove := func(name string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Remove(name) })
	}
	runPathCases(t, []pathCase{
		{name: "file", run: remove("file")},
		{name: "empty dir", run: remove("emptydir")},
		{name: "empty dir trailing slash", run: remove("emptydir/")},
		{name: "non-empty dir", run: remove("dir")},
		{name: "symlink to dir", run: remove("dlink")},
		{name: "symlink to dir trailing slash", run: remove("dlink/")},
		{name: "broken symlink", run: remove("broken")},
		{name: "missing", run: remove("missing")},
		{name: "not a directory", run: remove("file/x")},
		{name: "file trailing slash", run: remove("file/")},
		{name: "dot", run: remove(".")},
		{name: "dot in dir", run: remove("emptydir/.")},
		{name: "empty name", run: remove("")},
		{name: "NUL", run: remove("fi\x00le")},
	})
}

func TestRemoveAllDiff(t *testing.T) {
	removeAll := func(name string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.RemoveAll(name) })
	}
	many := func(t *testing.T) {
		// More entries than one batch of names, in nested directories.
		for _, d := range []string{"many", "many/inner"} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range 1100 {
				if err := os.WriteFile(fmt.Sprintf("%s/f%04d", d, i), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	runPathCases(t, []pathCase{
		{name: "tree", run: removeAll("dir")},
		{name: "tree trailing slash", run: removeAll("dir/")},
		{name: "tree absolute", run: func(t *testing.T, a pathAPI) (any, error) {
			wd, _ := os.Getwd()
			return nil, a.RemoveAll(wd + "/dir")
		}},
		{name: "file", run: removeAll("file")},
		{name: "empty dir", run: removeAll("emptydir")},
		{name: "symlink to dir keeps target", run: removeAll("dlink")},
		{name: "inner symlink to dir not followed", setup: func(t *testing.T) {
			if err := os.WriteFile("emptydir/keep", []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../../emptydir", "dir/sub/out"); err != nil {
				t.Fatal(err)
			}
		}, run: removeAll("dir")},
		{name: "unreadable inner dir", setup: func(t *testing.T) {
			// Root reads it anyway; others cannot list it and both fail.
			if err := os.Chmod("dir/sub", 0o300); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod("dir/sub", 0o755) })
		}, run: removeAll("dir")},
		{name: "many entries", setup: many, run: removeAll("many")},
		{name: "missing", run: removeAll("missing")},
		{name: "missing parent", run: removeAll("nope/x")},
		{name: "parent is file", run: removeAll("file/x")},
		{name: "empty name", run: removeAll("")},
		{name: "dot", run: removeAll(".")},
		{name: "dot in dir", run: removeAll("dir/.")},
		{name: "dotdot in dir", run: removeAll("dir/sub/..")},
		{name: "NUL", run: removeAll("dir\x00")},
	})
}

func TestRenameDiff(t *testing.T) {
	rename := func(from, to string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Rename(from, to) })
	}
	runPathCases(t, []pathCase{
		{name: "file to new", run: rename("file", "new")},
		{name: "file into dir", run: rename("file", "dir/new")},
		{name: "file over file", run: rename("file", "empty")},
		{name: "file over dir", run: rename("file", "emptydir")},
		{name: "file over itself", run: rename("file", "file")},
		{name: "dir to new", run: rename("dir", "new")},
		{name: "dir over empty dir", run: rename("dir", "emptydir")},
		{name: "dir over itself", run: rename("dir", "dir")},
		{name: "dir over file", run: rename("dir", "file")},
		{name: "dir into itself", run: rename("dir", "dir/sub/x")},
		{name: "symlink", run: rename("dlink", "new")},
		{name: "file over dir symlink", run: rename("file", "dlink")},
		{name: "dir over dir symlink", run: rename("emptydir", "dlink")},
		{name: "hard link over itself", setup: func(t *testing.T) {
			if err := os.Link("file", "hard"); err != nil {
				t.Fatal(err)
			}
		}, run: rename("file", "hard")},
		{name: "missing", run: rename("missing", "new")},
		{name: "missing over dir", run: rename("missing", "emptydir")},
		{name: "missing parent", run: rename("file", "nope/new")},
		{name: "empty old", run: rename("", "new")},
		{name: "empty new", run: rename("file", "")},
		{name: "NUL", run: rename("file", "n\x00ew")},
	})
}

func TestSymlinkLinkDiff(t *testing.T) {
	symlink := func(target, name string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Symlink(target, name) })
	}
	link := func(from, to string) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Link(from, to) })
	}
	runPathCases(t, []pathCase{
		{name: "symlink", run: symlink("file", "new")},
		{name: "symlink dangling", run: symlink("nothing/here", "new")},
		{name: "symlink long", run: symlink(longTarget+longTarget, "new")},
		{name: "symlink exists", run: symlink("file", "empty")},
		{name: "symlink missing parent", run: symlink("file", "nope/new")},
		{name: "symlink empty target", run: symlink("", "new")},
		{name: "symlink empty name", run: symlink("file", "")},
		{name: "symlink NUL", run: symlink("fi\x00le", "new")},
		{name: "link", run: link("file", "new")},
		{name: "link symlink", run: link("link", "new")},
		{name: "link exists", run: link("file", "empty")},
		{name: "link missing", run: link("missing", "new")},
		{name: "link dir", run: link("dir", "new")},
		{name: "link empty", run: link("", "new")},
		{name: "link NUL", run: link("file", "n\x00")},
	})
}

func TestReadlinkDiff(t *testing.T) {
	readlink := func(name string) func(*testing.T, pathAPI) (any, error) {
		return func(_ *testing.T, a pathAPI) (any, error) { return a.Readlink(name) }
	}
	runPathCases(t, []pathCase{
		{name: "link", run: readlink("link")},
		{name: "broken", run: readlink("broken")},
		{name: "long", run: readlink("longlink")},
		{name: "exactly 128", setup: func(t *testing.T) {
			if err := os.Symlink(strings.Repeat("y", 128), "l128"); err != nil {
				t.Fatal(err)
			}
		}, run: readlink("l128")},
		{name: "not a link", run: readlink("file")},
		{name: "missing", run: readlink("missing")},
		{name: "trailing slash", run: readlink("link/")},
		{name: "empty name", run: readlink("")},
		{name: "NUL", run: readlink("li\x00nk")},
	})
}

func TestChmodChownDiff(t *testing.T) {
	chmod := func(name string, mode fs.FileMode) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Chmod(name, mode) })
	}
	chown := func(name string, uid, gid int) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Chown(name, uid, gid) })
	}
	lchown := func(name string, uid, gid int) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Lchown(name, uid, gid) })
	}
	// Changing the owner needs privilege; as another user both sides fail
	// the same way, which the comparison covers as well.
	runPathCases(t, []pathCase{
		{name: "chmod file", run: chmod("file", 0o600)},
		{name: "chmod dir", run: chmod("dir", 0o700)},
		{name: "chmod special bits", run: chmod("file", 0o755|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)},
		{name: "chmod through symlink", run: chmod("link", 0o604)},
		{name: "chmod broken symlink", run: chmod("broken", 0o604)},
		{name: "chmod missing", run: chmod("missing", 0o644)},
		{name: "chmod empty", run: chmod("", 0o644)},
		{name: "chmod NUL", run: chmod("f\x00", 0o644)},
		{name: "chown", run: chown("file", 1234, 5678)},
		{name: "chown keep", run: chown("file", -1, -1)},
		{name: "chown through symlink", run: chown("link", 4321, -1)},
		{name: "chown missing", run: chown("missing", 0, 0)},
		{name: "chown empty", run: chown("", 0, 0)},
		{name: "lchown symlink", run: lchown("link", 1234, 5678)},
		{name: "lchown broken", run: lchown("broken", 1234, -1)},
		{name: "lchown missing", run: lchown("missing", 0, 0)},
	})
}

func TestChtimesTruncateDiff(t *testing.T) {
	at := time.Date(2020, 1, 2, 3, 4, 5, 600000000, time.UTC)
	mt := time.Date(2019, 6, 7, 8, 9, 10, 11, time.Local)
	chtimes := func(name string, atime, mtime time.Time) func(*testing.T, pathAPI) (any, error) {
		return func(t *testing.T, a pathAPI) (any, error) {
			err := a.Chtimes(name, atime, mtime)
			// The times of the target afterwards, as nanoseconds; the
			// fixture set both to fixtureTime.
			fi, serr := os.Stat(name)
			if serr != nil {
				return nil, err
			}
			st := fi.Sys().(*syscall.Stat_t)
			return [2]int64{st.Atim.Nano(), st.Mtim.Nano()}, err
		}
	}
	truncate := func(name string, size int64) func(*testing.T, pathAPI) (any, error) {
		return errOnly(func(a pathAPI) error { return a.Truncate(name, size) })
	}
	runPathCases(t, []pathCase{
		{name: "chtimes both", run: chtimes("file", at, mt)},
		{name: "chtimes zero atime", run: chtimes("file", time.Time{}, mt)},
		{name: "chtimes zero mtime", run: chtimes("file", at, time.Time{})},
		{name: "chtimes zero both", run: chtimes("dir", time.Time{}, time.Time{})},
		{name: "chtimes through symlink", run: chtimes("link", at, mt)},
		{name: "chtimes before 1970", run: chtimes("file", time.Unix(-12345, 6), time.Unix(-1, 0))},
		{name: "chtimes missing", run: chtimes("missing", at, mt)},
		{name: "chtimes empty", run: chtimes("", at, mt)},
		{name: "chtimes NUL", run: chtimes("f\x00", at, mt)},
		{name: "truncate shrink", run: truncate("file", 2)},
		{name: "truncate grow", run: truncate("file", 100)},
		{name: "truncate zero", run: truncate("file", 0)},
		{name: "truncate through symlink", run: truncate("link", 1)},
		{name: "truncate negative", run: truncate("file", -1)},
		{name: "truncate dir", run: truncate("dir", 0)},
		{name: "truncate missing", run: truncate("missing", 0)},
		{name: "truncate empty", run: truncate("", 0)},
		{name: "truncate NUL", run: truncate("f\x00", 0)},
	})
}

// describeEntries renders what a caller sees of ReadDir's result, keeping a
// nil slice apart from an empty one.
func describeEntries(t *testing.T, entries []fs.DirEntry) []string {
	if entries == nil {
		return nil
	}
	out := []string{}
	for _, e := range entries {
		line := fmt.Sprintf("%s %v dir=%v %s", e.Name(), e.Type(), e.IsDir(), e)
		if fi, err := e.Info(); err != nil {
			line += " info error: " + err.Error()
		} else {
			line += fmt.Sprintf(" info %s %v %d", fi.Name(), fi.Mode(), fi.Size())
		}
		out = append(out, line)
	}
	return out
}

func TestReadDirDiff(t *testing.T) {
	readDir := func(name string) func(*testing.T, pathAPI) (any, error) {
		return func(t *testing.T, a pathAPI) (any, error) {
			entries, err := a.ReadDir(name)
			return describeEntries(t, entries), err
		}
	}
	many := func(t *testing.T) {
		if err := os.Mkdir("many", 0o755); err != nil {
			t.Fatal(err)
		}
		// Enough names for several getdents calls, created out of order.
		for _, i := range rand.New(rand.NewPCG(3, 4)).Perm(600) {
			if err := os.WriteFile(fmt.Sprintf("many/name-%03d-%s", i, strings.Repeat("x", i%40)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	runPathCases(t, []pathCase{
		{name: "root", run: readDir(".")},
		{name: "nested", run: readDir("dir")},
		{name: "empty", run: readDir("emptydir")},
		{name: "many", setup: many, run: readDir("many")},
		{name: "through symlink", run: readDir("dlink")},
		{name: "file", run: readDir("file")},
		{name: "symlink to file", run: readDir("link")},
		{name: "missing", run: readDir("missing")},
		{name: "empty name", run: readDir("")},
		{name: "NUL", run: readDir("d\x00ir")},
	})
}

// TestPermissionDenied compares the EACCES and EPERM cases, which need an
// unprivileged user: root bypasses directory permissions, so as root the
// test runs in a child process under another uid.
func TestPermissionDenied(t *testing.T) {
	if rerunUnprivileged(t) {
		return
	}
	lock := func(t *testing.T) {
		if err := os.Chmod("dir", 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod("dir", 0o755) })
	}
	runPathCases(t, []pathCase{
		{name: "mkdir", setup: lock, run: errOnly(func(a pathAPI) error { return a.Mkdir("dir/x", 0o755) })},
		{name: "writefile", setup: lock, run: errOnly(func(a pathAPI) error { return a.WriteFile("dir/x", nil, 0o644) })},
		{name: "remove", setup: lock, run: errOnly(func(a pathAPI) error { return a.Remove("dir/a") })},
		{name: "removeall", setup: lock, run: errOnly(func(a pathAPI) error { return a.RemoveAll("dir") })},
		{name: "rename", setup: lock, run: errOnly(func(a pathAPI) error { return a.Rename("dir/a", "x") })},
		{name: "chown", run: errOnly(func(a pathAPI) error { return a.Chown("file", 0, 0) })},
	})
}

func TestCreateTemp(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ pattern, prefix, suffix string }{
		{"", "", ""},
		{"plain", "plain", ""},
		{"pre*suf", "pre", "suf"},
		{"*.txt", "", ".txt"},
		{"a*b*c", "a*b", "c"},
	} {
		f, err := uringfs.CreateTemp(dir, c.pattern)
		if err != nil {
			t.Fatalf("CreateTemp(%q): %v", c.pattern, err)
		}
		checkTempName(t, f.Name(), dir, c.prefix, c.suffix)
		if _, err := f.WriteString("tmp"); err != nil {
			t.Error(err)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if b, err := os.ReadFile(f.Name()); err != nil || string(b) != "tmp" {
			t.Errorf("temp file holds %q, %v", b, err)
		}
		// os as the oracle for the mode: 0o600 before umask.
		of, err := os.CreateTemp(dir, c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		of.Close()
		if a, b := lmode(t, of.Name()), lmode(t, f.Name()); a != b {
			t.Errorf("CreateTemp mode %v, os.CreateTemp %v", b, a)
		}
	}
}

func TestMkdirTemp(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ pattern, prefix, suffix string }{
		{"", "", ""},
		{"plain", "plain", ""},
		{"pre*suf", "pre", "suf"},
		{"a*b*c", "a*b", "c"},
	} {
		name, err := uringfs.MkdirTemp(dir+"/", c.pattern)
		if err != nil {
			t.Fatalf("MkdirTemp(%q): %v", c.pattern, err)
		}
		checkTempName(t, name, dir, c.prefix, c.suffix)
		oname, err := os.MkdirTemp(dir, c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := lmode(t, oname), lmode(t, name); a != b {
			t.Errorf("MkdirTemp mode %v, os.MkdirTemp %v", b, a)
		}
	}
}

func lmode(t *testing.T, name string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// checkTempName checks that name is dir/prefix<decimal>suffix.
func checkTempName(t *testing.T, name, dir, prefix, suffix string) {
	t.Helper()
	base, ok := strings.CutPrefix(name, dir+"/")
	if !ok {
		t.Errorf("temp name %q is not directly in %q", name, dir)
		return
	}
	mid, ok := strings.CutPrefix(base, prefix)
	if ok {
		mid, ok = strings.CutSuffix(mid, suffix)
	}
	if _, err := strconv.ParseUint(mid, 10, 32); !ok || err != nil {
		t.Errorf("temp name %q is not %q + number + %q", base, prefix, suffix)
	}
}

func TestTempErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, pattern := range []string{"a/b", "/", "x*/"} {
		_, werr := os.CreateTemp(".", pattern)
		_, gerr := uringfs.CreateTemp(".", pattern)
		if d := testkit.DiffErrors(werr, gerr); d != "" {
			t.Errorf("CreateTemp(%q): %s", pattern, d)
		}
		_, werr = os.MkdirTemp(".", pattern)
		_, gerr = uringfs.MkdirTemp(".", pattern)
		if d := testkit.DiffErrors(werr, gerr); d != "" {
			t.Errorf("MkdirTemp(%q): %s", pattern, d)
		}
	}
	// A missing dir: MkdirTemp reports the dir itself.
	_, werr := os.MkdirTemp("nope", "x")
	_, gerr := uringfs.MkdirTemp("nope", "x")
	if d := testkit.DiffErrors(werr, gerr); d != "" {
		t.Errorf("MkdirTemp(missing dir): %s", d)
	}
	// CreateTemp names the generated file, which differs: compare the rest.
	_, gerr = uringfs.CreateTemp("nope", "x*.y")
	var pe *fs.PathError
	if !errors.As(gerr, &pe) || pe.Op != "open" || pe.Err != syscall.ENOENT ||
		!strings.HasPrefix(pe.Path, "nope/x") || !strings.HasSuffix(pe.Path, ".y") {
		t.Errorf("CreateTemp(missing dir) error = %#v, want PathError{open, nope/x*.y, ENOENT}", gerr)
	}
	// A parent that is a file: ENOTDIR from the mkdir.
	if err := os.WriteFile("file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, gerr = uringfs.MkdirTemp("file", "x")
	if !errors.As(gerr, &pe) || pe.Op != "mkdir" || pe.Err != syscall.ENOTDIR || !strings.HasPrefix(pe.Path, "file/x") {
		t.Errorf("MkdirTemp(file) error = %#v, want PathError{mkdir, file/x*, ENOTDIR}", gerr)
	}
}

// TestTempDefaultDir checks that an empty dir means os.TempDir().
func TestTempDefaultDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	f, err := uringfs.CreateTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkTempName(t, f.Name(), tmp, "d", "")
	name, err := uringfs.MkdirTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	checkTempName(t, name, tmp, "d", "")
}

// TestTempUnique creates temp files and directories from many goroutines
// and checks no two got the same name.
func TestTempUnique(t *testing.T) {
	dir := t.TempDir()
	const n = 64
	names := make([]string, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			f, err := uringfs.CreateTemp(dir, "same")
			if err != nil {
				t.Error(err)
				return
			}
			names[i] = f.Name()
			f.Close()
			if names[n+i], err = uringfs.MkdirTemp(dir, "same"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			t.Errorf("name %q given twice", name)
		}
		seen[name] = true
	}
}

func ExampleReadFile() {
	dir, err := uringfs.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer uringfs.RemoveAll(dir)

	name := filepath.Join(dir, "greeting.txt")
	if err := uringfs.WriteFile(name, []byte("hello, ring\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	data, err := uringfs.ReadFile(name)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", data)

	_, err = uringfs.ReadFile(filepath.Join(dir, "missing.txt"))
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// hello, ring
	// true
}

// BenchmarkReadFile compares ReadFile with os.ReadFile on a page-cache-hot
// file of a few sizes; each op is open, statx, reads and close.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	for _, size := range []int{100, 64 << 10, 1 << 20} {
		name := filepath.Join(dir, strconv.Itoa(size))
		if err := os.WriteFile(name, make([]byte, size), 0o644); err != nil {
			b.Fatal(err)
		}
		for _, impl := range []struct {
			name string
			fn   func(string) ([]byte, error)
		}{{"os", os.ReadFile}, {"uringfs", uringfs.ReadFile}} {
			b.Run(fmt.Sprintf("%s/%d", impl.name, size), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := impl.fn(name); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkMetadata compares WriteFile of a small file, Mkdir+Remove and
// Rename with os's. io_uring runs these opcodes on its worker threads, so
// they cost a hand-off each; in exchange they never block a Go thread.
func BenchmarkMetadata(b *testing.B) {
	dir := b.TempDir()
	data := []byte("small file\n")
	for _, a := range []pathAPI{osPathAPI, ourPathAPI} {
		b.Run("WriteFile/"+a.name, func(b *testing.B) {
			name := filepath.Join(dir, "w-"+a.name)
			for b.Loop() {
				if err := a.WriteFile(name, data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("MkdirRemove/"+a.name, func(b *testing.B) {
			name := filepath.Join(dir, "d-"+a.name)
			for b.Loop() {
				if err := a.Mkdir(name, 0o755); err != nil {
					b.Fatal(err)
				}
				if err := a.Remove(name); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Rename/"+a.name, func(b *testing.B) {
			x, y := filepath.Join(dir, "x-"+a.name), filepath.Join(dir, "y-"+a.name)
			if err := os.WriteFile(x, nil, 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := a.Rename(x, y); err != nil {
					b.Fatal(err)
				}
				x, y = y, x
			}
		})
	}
}
