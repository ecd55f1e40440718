package conformance

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// CheckFS runs the fs.FS suite. It generates a tree in a temporary
// directory (nested directories, empty files and directories, symbolic
// links to files and directories, names with spaces and non-ASCII
// letters), runs [testing/fstest.TestFS] on makeFS(dir), adds a file of
// several MiB and a dangling link, and then compares makeFS(dir) with os.DirFS(dir) on what fstest does not
// check: the errors for missing files and invalid names, the results of
// the optional fs.StatFS, fs.ReadFileFS, fs.ReadDirFS and fs.ReadLinkFS
// methods where the implementation has them, reading an opened directory,
// fs.Sub, fs.Glob and fs.WalkDir. It returns nil or one error listing
// every problem.
func CheckFS(makeFS func(dir string) fs.FS) error {
	res, err := checkFS(makeFS)
	if err != nil {
		return err
	}
	return res.err("FS suite")
}

// TestFS is [CheckFS] for use in a test.
func TestFS(t *testing.T, makeFS func(dir string) fs.FS) {
	t.Helper()
	res, err := checkFS(makeFS)
	if err != nil {
		t.Fatal(err)
	}
	report(t, res)
}

// treeFiles is the generated tree: name and content of each regular file.
// Directories are implied by the names.
var treeFiles = []struct{ name, data string }{
	{"a/file.txt", "hello, world\n"},
	{"a/empty", ""},
	{"a/b/c/deep.txt", "deep\n"},
	{"with space.txt", "space\n"},
	{"ünïcödé/日本語.txt", "unicode\n"},
	{"dotdir/.hidden", "hidden\n"},
}

const (
	bigName = "big.bin"
	bigSize = 5<<20 + 17
)

var treeLinks = []struct{ name, target string }{
	{"link-to-file", "a/file.txt"},
	{"link-to-dir", "a"},
	{"a/b/rel-link", "../file.txt"},
}

var treeEmptyDirs = []string{"a/b/empty-dir", "emptydir"}

// buildTree writes the generated tree into dir and returns the names
// fstest.TestFS should find.
func buildTree(dir string) ([]string, error) {
	seen := map[string]bool{}
	var expected []string
	add := func(name string) {
		for p := name; p != "."; p = path.Dir(p) {
			if !seen[p] {
				seen[p] = true
				expected = append(expected, p)
			}
		}
	}
	for _, d := range treeEmptyDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
		add(d)
	}
	for _, f := range treeFiles {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(f.data), 0o644); err != nil {
			return nil, err
		}
		add(f.name)
	}
	for _, l := range treeLinks {
		if err := os.Symlink(l.target, filepath.Join(dir, l.name)); err != nil {
			return nil, err
		}
		add(l.name)
	}
	return expected, nil
}

// fsSide is one side of the FS comparison. caps holds what the
// implementation offers, so that both sides check only that.
type fsSide struct {
	fsys fs.FS
	caps fsCaps
}

type fsCaps struct {
	stat, readFile, readDir, readLink, glob, sub bool
	readerAt, seeker                             bool
}

func capsOf(fsys fs.FS) fsCaps {
	var c fsCaps
	_, c.stat = fsys.(fs.StatFS)
	_, c.readFile = fsys.(fs.ReadFileFS)
	_, c.readDir = fsys.(fs.ReadDirFS)
	_, c.readLink = fsys.(fs.ReadLinkFS)
	_, c.glob = fsys.(fs.GlobFS)
	_, c.sub = fsys.(fs.SubFS)
	if f, err := fsys.Open("a/file.txt"); err == nil {
		_, c.readerAt = f.(io.ReaderAt)
		_, c.seeker = f.(io.Seeker)
		f.Close()
	}
	return c
}

func checkFS(makeFS func(dir string) fs.FS) (*result, error) {
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	expected, err := buildTree(dir)
	if err != nil {
		return nil, fmt.Errorf("conformance: building the tree: %w", err)
	}
	res := &result{}
	impl := makeFS(dir)
	if err := fstest.TestFS(impl, expected...); err != nil {
		res.errs = append(res.errs, fmt.Errorf("fstest.TestFS: %w", err))
	}
	// Entries fstest does not see: it opens every entry it lists, so a
	// dangling link would fail it, and its byte-by-byte readers take
	// tens of seconds on a large file under the race detector, so the
	// big file is read by the scenarios below instead.
	if err := os.Symlink("nowhere", filepath.Join(dir, "broken-link")); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, bigName), pattern(7, bigSize), 0o600); err != nil {
		return nil, err
	}
	caps := capsOf(impl)
	oracle := fsSide{os.DirFS(dir), caps}
	side := fsSide{impl, caps}
	for _, sc := range fsScenarios {
		got, skipped := transcriptIn(dir, func(r *recorder) { sc.run(r, side) }, false)
		if skipped != "" {
			res.skipped = append(res.skipped, sc.name+": "+skipped)
			continue
		}
		want, _ := transcriptIn(dir, func(r *recorder) { sc.run(r, oracle) }, false)
		res.errs = append(res.errs, compare(sc.name, "impl", want, got)...)
	}
	return res, nil
}

// fsNames are looked up by several scenarios: present entries of every
// kind, missing ones, and names that are not valid fs paths.
var (
	fsPresent = []string{".", "a", "a/file.txt", "a/empty", "a/b/c/deep.txt", "a/b/empty-dir", "with space.txt",
		"ünïcödé/日本語.txt", bigName, "link-to-file", "link-to-dir", "a/b/rel-link", "link-to-dir/file.txt"}
	fsMissing = []string{"missing", "a/missing", "a/file.txt/x", "broken-link", "missing/x", "link-to-dir/missing"}
	fsInvalid = []string{"../x", "/abs", "a//b", "", "a/", "./a", "a/.", "..", "a/../a", "/"}
)

func fsLookups(r *recorder, s fsSide, names []string) {
	for _, name := range names {
		q := fmt.Sprintf("%q", name)
		f, err := s.fsys.Open(name)
		r.rec("Open "+q, fileResult{f}, err)
		if err == nil && f != nil {
			fi, err := f.Stat()
			r.rec("Open+Stat "+q, withTime{fi}, err)
			r.rec("Close "+q, f.Close())
		}
		fi, err := fs.Stat(s.fsys, name)
		r.rec("fs.Stat "+q, withTime{fi}, err)
		b, err := fs.ReadFile(s.fsys, name)
		r.rec("fs.ReadFile "+q, b, err)
		list, err := fs.ReadDir(s.fsys, name)
		r.rec("fs.ReadDir "+q, orderedEntries(list), err)
		if s.caps.stat {
			fi, err := s.fsys.(fs.StatFS).Stat(name)
			r.rec("StatFS.Stat "+q, withTime{fi}, err)
		}
		if s.caps.readFile {
			b, err := s.fsys.(fs.ReadFileFS).ReadFile(name)
			r.rec("ReadFileFS.ReadFile "+q, b, err)
		}
		if s.caps.readDir {
			list, err := s.fsys.(fs.ReadDirFS).ReadDir(name)
			r.rec("ReadDirFS.ReadDir "+q, orderedEntries(list), err)
		}
		if s.caps.readLink {
			fi, err := s.fsys.(fs.ReadLinkFS).Lstat(name)
			r.rec("ReadLinkFS.Lstat "+q, withTime{fi}, err)
			target, err := s.fsys.(fs.ReadLinkFS).ReadLink(name)
			r.rec("ReadLinkFS.ReadLink "+q, target, err)
		}
	}
}

var fsScenarios = []scenario[fsSide]{
	{"present", func(r *recorder, s fsSide) { fsLookups(r, s, fsPresent) }},
	{"missing", func(r *recorder, s fsSide) { fsLookups(r, s, fsMissing) }},
	{"invalid", func(r *recorder, s fsSide) {
		fsLookups(r, s, fsInvalid)
		for _, name := range fsInvalid {
			_, err := fs.Sub(s.fsys, name)
			r.rec(fmt.Sprintf("fs.Sub %q", name), err)
		}
	}},
	{"directory-read", func(r *recorder, s fsSide) {
		f, err := s.fsys.Open("a")
		r.rec("Open a", fileResult{f}, err)
		if f == nil {
			return
		}
		defer f.Close()
		buf := make([]byte, 16)
		n, err := f.Read(buf)
		r.rec("Read on directory", n, err)
		d, ok := f.(fs.ReadDirFile)
		r.rec("is ReadDirFile", ok)
		if !ok {
			return
		}
		var all []fs.DirEntry
		for i := 0; i < 50; i++ {
			list, err := d.ReadDir(2)
			r.rec(fmt.Sprintf("ReadDir(2) page %d", i), nilness(list), err)
			all = append(all, list...)
			if err != nil || len(list) == 0 {
				break
			}
		}
		r.rec("entries", all)
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1) at end", list, err)
	}},
	{"regular-file", func(r *recorder, s fsSide) {
		f, err := s.fsys.Open(bigName)
		r.rec("Open", fileResult{f}, err)
		if f == nil {
			return
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		r.rec("ReadAll", len(b), err, digest(b))
		n, err := f.Read(make([]byte, 10))
		r.rec("Read at EOF", n, err)
		n, err = f.Read(nil)
		r.rec("Read(nil) at EOF", n, err)
		if d, ok := f.(fs.ReadDirFile); ok {
			list, err := d.ReadDir(-1)
			r.rec("ReadDir on a file", list, err)
		}
		if s.caps.readerAt {
			ra := f.(io.ReaderAt)
			buf := make([]byte, 100)
			n, err := ra.ReadAt(buf, bigSize-50)
			r.rec("ReadAt short", n, err, buf[:clampN(n, len(buf))])
			n, err = ra.ReadAt(buf, -1)
			r.rec("ReadAt negative", n, err)
		}
		if s.caps.seeker {
			sk := f.(io.Seeker)
			off, err := sk.Seek(-10, io.SeekEnd)
			r.rec("Seek end", off, err)
			off, err = sk.Seek(-1, io.SeekStart)
			r.rec("Seek negative", off, err)
		}
		r.rec("Close", f.Close())
		r.rec("Close again", f.Close())
		n, err = f.Read(make([]byte, 10))
		r.rec("Read after Close", n, err)
	}},
	{"walk-glob-sub", func(r *recorder, s fsSide) {
		var walked []string
		err := fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				walked = append(walked, p+" "+r.formatErr(err))
				return nil
			}
			walked = append(walked, fmt.Sprintf("%s %v", p, d.Type()))
			return nil
		})
		r.rec("WalkDir", ordered(walked), err)
		for _, pat := range []string{"*", "a/*", "*/*.txt", "a/b/*/*", "ü*/*", "["} {
			m, err := fs.Glob(s.fsys, pat)
			r.rec(fmt.Sprintf("Glob %q", pat), ordered(m), err)
		}
		sub, err := fs.Sub(s.fsys, "a")
		r.rec("Sub a", err)
		if err != nil {
			return
		}
		b, err := fs.ReadFile(sub, "file.txt")
		r.rec("Sub ReadFile", b, err)
		b, err = fs.ReadFile(sub, "b/rel-link")
		r.rec("Sub ReadFile through link", b, err)
		_, err = sub.Open("../with space.txt")
		r.rec("Sub Open ..", err)
		_, err = sub.Open("missing")
		r.rec("Sub Open missing", err)
		list, err := fs.ReadDir(sub, ".")
		r.rec("Sub ReadDir", orderedEntries(list), err)
	}},
}
