package uringfs_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// bigFileSize is the size of big.bin in the trees the DirFS tests build:
// several MiB, so reads cross many buffers and pages.
const bigFileSize = 5<<20 + 17

// dirFSTree builds, under a new temporary directory, a tree with nested
// directories, symlinks inside it (to a file, to a directory, upwards), empty
// files and directories and a file big.bin of bigSize random bytes, and
// returns the directory and the file names fstest.TestFS should find.
func dirFSTree(t *testing.T, bigSize int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	big := make([]byte, bigSize)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"a.txt":         []byte("alpha\n"),
		"empty":         nil,
		"big.bin":       big,
		"d1/x":          []byte("x"),
		"d1/d2/y":       []byte("why"),
		"d1/d2/empty":   nil,
		"d1/d2/d3/deep": []byte("deep"),
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d1", "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"link-file":   "a.txt",
		"link-dir":    "d1",
		"d1/d2/up":    "../../a.txt",
		"d1/link-sub": "d2",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Skipf("cannot create symlinks here: %v", err)
		}
	}
	expected := []string{"a.txt", "empty", "big.bin", "d1/x", "d1/d2/y", "d1/d2/empty",
		"d1/d2/d3/deep", "d1/emptydir", "link-file", "link-dir", "d1/d2/up", "d1/link-sub"}
	return dir, expected
}

// TestDirFSFSTest runs fstest.TestFS on DirFS over a real tree. fstest
// reads every file 1 to 3 bytes at a time, which for a several-MiB file
// takes tens of seconds (os.DirFS too): by default big.bin has 256 KiB, and
// URINGFS_TEST_BIG=1 makes it bigFileSize. TestDirFSBigFile and
// TestDirFSDiff cover the several-MiB file in every run.
func TestDirFSFSTest(t *testing.T) {
	size := 256<<10 + 17
	if os.Getenv("URINGFS_TEST_BIG") == "1" {
		size = bigFileSize
	}
	dir, expected := dirFSTree(t, size)
	if err := fstest.TestFS(uringfs.DirFS(dir), expected...); err != nil {
		t.Error(err)
		// Show whether os.DirFS passes on this tree, which tells a broken
		// tree from a broken DirFS.
		t.Logf("os.DirFS on the same tree: %v", fstest.TestFS(os.DirFS(dir), expected...))
	}
}

func TestDirFSInterfaces(t *testing.T) {
	fsys := uringfs.DirFS(t.TempDir())
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"fs.StatFS", is[fs.StatFS](fsys)},
		{"fs.ReadFileFS", is[fs.ReadFileFS](fsys)},
		{"fs.ReadDirFS", is[fs.ReadDirFS](fsys)},
		{"fs.ReadLinkFS", is[fs.ReadLinkFS](fsys)},
	} {
		if !c.ok {
			t.Errorf("DirFS does not implement %s", c.name)
		}
	}
	f, err := fsys.Open(".")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := f.(*uringfs.File); !ok {
		t.Errorf("DirFS.Open returned %T, want *uringfs.File", f)
	}
	// A failed Open returns a nil interface, not a typed nil.
	if f, err := fsys.Open("missing"); f != nil || err == nil {
		t.Errorf("Open(missing) = %#v, %v; want nil interface and an error", f, err)
	}
}

func is[T any](v any) bool { _, ok := v.(T); return ok }

// dirFSNames are the names the differential DirFS test tries: present,
// missing, through symlinks, and names fs.ValidPath rejects.
var dirFSNames = []string{
	".", "a.txt", "empty", "d1", "d1/d2", "d1/d2/y", "d1/emptydir", "link-file", "link-dir",
	"link-dir/x", "d1/d2/up", "d1/link-sub/y", "broken", "missing", "d1/missing", "a.txt/x",
	"", "/", "/a.txt", "./a.txt", "a.txt/", "d1/", "d1//x", "d1/../a.txt", "..", "../a.txt",
	"d1/./x", "a\x00b", `d1\x`, "big.bin",
}

// recordFSResult records what a DirFS method returned: a FileInfo with
// its modification time; a directory's entries; a file's FileInfo and
// its directory entries (in name order) or content.
func recordFSResult(r *testkit.Recorder, label string, v any, err error) {
	f, ok := v.(fs.File)
	switch {
	case !ok:
		if fi, ok := v.(fs.FileInfo); ok {
			v = testkit.WithModTime(fi)
		}
		r.Record(label, v, err)
		return
	case f == nil:
		r.Record(label, nil, err)
		return
	}
	defer f.Close()
	fi, serr := f.Stat()
	r.Record(label, "file", err, "Stat", testkit.WithModTime(fi), serr)
	if serr != nil {
		return
	}
	if !fi.IsDir() {
		data, err := io.ReadAll(f)
		r.Record(label+" ReadAll", data, err)
		return
	}
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		r.Record(label + " directory without ReadDir")
		return
	}
	entries, err := rd.ReadDir(-1)
	r.Record(label+" ReadDir", testkit.Sorted(entries), err)
}

// TestDirFSDiff calls every method of DirFS and of os.DirFS over the same
// tree with the same names and compares results and errors.
func TestDirFSDiff(t *testing.T) {
	dir, _ := dirFSTree(t, bigFileSize)
	if err := os.Symlink("nowhere", filepath.Join(dir, "broken")); err != nil {
		t.Fatal(err)
	}
	type method struct {
		name string
		call func(fsys fs.FS, name string) (any, error)
	}
	methods := []method{
		{"Open", func(fsys fs.FS, name string) (any, error) {
			f, err := fsys.Open(name)
			if f == nil {
				return nil, err
			}
			return f, err
		}},
		{"ReadFile", func(fsys fs.FS, name string) (any, error) {
			return fsys.(fs.ReadFileFS).ReadFile(name)
		}},
		{"ReadDir", func(fsys fs.FS, name string) (any, error) {
			return fsys.(fs.ReadDirFS).ReadDir(name)
		}},
		{"Stat", func(fsys fs.FS, name string) (any, error) {
			return fsys.(fs.StatFS).Stat(name)
		}},
		{"Lstat", func(fsys fs.FS, name string) (any, error) {
			return fsys.(fs.ReadLinkFS).Lstat(name)
		}},
		{"ReadLink", func(fsys fs.FS, name string) (any, error) {
			return fsys.(fs.ReadLinkFS).ReadLink(name)
		}},
	}
	roots := []string{dir, dir + string(os.PathSeparator), ""}
	for _, root := range roots {
		var recs [2]*testkit.Recorder
		for i, fsys := range []fs.FS{os.DirFS(root), uringfs.DirFS(root)} {
			recs[i] = testkit.NewRecorder("")
			for _, m := range methods {
				for _, name := range dirFSNames {
					v, err := m.call(fsys, name)
					recordFSResult(recs[i], fmt.Sprintf("%s(%q)", m.name, name), v, err)
				}
			}
		}
		for _, d := range testkit.Differences("os", "uringfs", recs[0].Steps(), recs[1].Steps(), 0) {
			t.Errorf("DirFS(%q): %s", root, d)
		}
	}
}

// TestDirFSBigFile checks the several-MiB file byte for byte through the
// ways DirFS offers to read it, in big and in odd-sized pieces.
func TestDirFSBigFile(t *testing.T) {
	dir, _ := dirFSTree(t, bigFileSize)
	want, err := os.ReadFile(filepath.Join(dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := uringfs.DirFS(dir)
	got, err := fs.ReadFile(fsys, "big.bin")
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("fs.ReadFile(big.bin) = %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	f, err := fsys.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err = io.ReadAll(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadAll(Open(big.bin)) = %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	// ReadAt and Seek on the fs.File, as fstest's reader test does, at a
	// few places instead of every byte.
	ra := f.(io.ReaderAt)
	for _, off := range []int64{0, 1, 4095, 4096, 1 << 20, int64(len(want)) - 5000} {
		buf := make([]byte, 7919)
		n, err := ra.ReadAt(buf, off)
		end := min(off+int64(len(buf)), int64(len(want)))
		if !bytes.Equal(buf[:n], want[off:end]) || (end-off < int64(len(buf))) != (err == io.EOF) {
			t.Errorf("ReadAt(%d bytes, %d) = %d, %v", len(buf), off, n, err)
		}
	}
	if off, err := f.(io.Seeker).Seek(-12345, io.SeekEnd); err != nil || off != int64(len(want))-12345 {
		t.Fatalf("Seek(-12345, end) = %d, %v", off, err)
	}
	if rest, err := io.ReadAll(f); err != nil || !bytes.Equal(rest, want[len(want)-12345:]) {
		t.Errorf("read after Seek = %d bytes, %v; want the last 12345", len(rest), err)
	}
	sub, err := fs.Sub(fsys, "d1/d2")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(sub, "up"); err != nil || string(got) != "alpha\n" {
		t.Errorf("Sub(d1/d2) ReadFile(up) = %q, %v; want the file the link points at", got, err)
	}
}
