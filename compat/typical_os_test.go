package compat_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/uringfs/uring/internal/testkit"
)

// typicalOS is a small file program written against os. Its twin in
// typical_compat_test.go has the same text with only the import of os
// changed; TestTypicalProgramTextsMatch checks that they stay identical.
func typicalOS(r *testkit.Recorder, dir string) {
	// Each line is recorded with its values in full (errors down to their
	// types and errno), the format as its label.
	log := func(format string, args ...any) { r.Record(format, args...) }
	if err := os.MkdirAll(filepath.Join(dir, "data", "old"), 0o755); err != nil {
		log("mkdirall: %v", err)
		return
	}
	f, err := os.Create(filepath.Join(dir, "data", "notes.txt"))
	if err != nil {
		log("create: %v", err)
		return
	}
	for i := range 3 {
		n, err := fmt.Fprintf(f, "line %d\n", i)
		log("write %d: %d %v", i, n, err)
	}
	n, err := f.WriteString("last line\n")
	log("writestring: %d %v", n, err)
	log("sync: %v", f.Sync())
	log("close: %v, again: %v", f.Close(), f.Close())

	data, err := os.ReadFile(filepath.Join(dir, "data", "notes.txt"))
	log("readfile: %q %v", data, err)

	f, err = os.Open(filepath.Join(dir, "data", "notes.txt"))
	if err != nil {
		log("open: %v", err)
		return
	}
	buf := make([]byte, 6)
	n, err = f.Read(buf)
	log("read: %q %v", buf[:n], err)
	off, err := f.Seek(-5, io.SeekEnd)
	log("seek: %d %v", off, err)
	rest, err := io.ReadAll(f)
	log("rest: %q %v", rest, err)
	n, err = f.ReadAt(buf, 28)
	log("readat: %q %v", buf[:n], err)
	fi, err := f.Stat()
	log("stat: %s %d %v %v", fi.Name(), fi.Size(), fi.Mode(), err)
	_, err = f.Write([]byte("no"))
	log("write read-only: %v", err)
	log("close: %v", f.Close())

	err = os.Rename(filepath.Join(dir, "data", "notes.txt"), filepath.Join(dir, "data", "old", "notes.txt"))
	log("rename: %v", err)
	err = os.Rename(filepath.Join(dir, "data", "notes.txt"), filepath.Join(dir, "x"))
	var linkErr *os.LinkError
	log("rename again: %v, LinkError: %v, not exist: %v", err, errors.As(err, &linkErr), os.IsNotExist(err))

	for _, name := range []string{"b", "a", "c"} {
		log("writefile %s: %v", name, os.WriteFile(filepath.Join(dir, "data", name), []byte(name), 0o640))
	}
	entries, err := os.ReadDir(filepath.Join(dir, "data"))
	for _, e := range entries {
		info, ierr := e.Info()
		log("entry %s dir=%v type=%v size=%d %v", e.Name(), e.IsDir(), e.Type(), info.Size(), ierr)
	}
	log("readdir: %d %v", len(entries), err)
	_, err = os.ReadDir(filepath.Join(dir, "missing"))
	log("readdir missing: %v %v", err, errors.Is(err, os.ErrNotExist))

	d, err := os.Open(filepath.Join(dir, "data"))
	if err == nil {
		names, err := d.Readdirnames(-1)
		log("readdirnames: %d %v", len(names), err)
		log("close dir: %v", d.Close())
	}

	log("symlink: %v", os.Symlink("a", filepath.Join(dir, "data", "link")))
	target, err := os.Readlink(filepath.Join(dir, "data", "link"))
	log("readlink: %s %v", target, err)
	lfi, err := os.Lstat(filepath.Join(dir, "data", "link"))
	log("lstat: %v %v", lfi.Mode()&os.ModeSymlink != 0, err)
	sfi, err := os.Stat(filepath.Join(dir, "data", "link"))
	afi, _ := os.Stat(filepath.Join(dir, "data", "a"))
	log("stat through link: %v same: %v", err, os.SameFile(sfi, afi))
	log("link: %v", os.Link(filepath.Join(dir, "data", "a"), filepath.Join(dir, "data", "hard")))
	hfi, _ := os.Stat(filepath.Join(dir, "data", "hard"))
	bfi, _ := os.Stat(filepath.Join(dir, "data", "b"))
	log("hard link same: %v, other file same: %v", os.SameFile(hfi, afi), os.SameFile(bfi, afi))

	log("chmod: %v", os.Chmod(filepath.Join(dir, "data", "b"), 0o600))
	log("truncate: %v", os.Truncate(filepath.Join(dir, "data", "c"), 10))
	cfi, _ := os.Stat(filepath.Join(dir, "data", "c"))
	bfi, _ = os.Stat(filepath.Join(dir, "data", "b"))
	log("after chmod, truncate: %v %d", bfi.Mode(), cfi.Size())

	tmp, err := os.CreateTemp(filepath.Join(dir, "data"), "tmp-*.txt")
	if err == nil {
		log("createtemp: %v %v", strings.HasPrefix(filepath.Base(tmp.Name()), "tmp-"), strings.HasSuffix(tmp.Name(), ".txt"))
		tmp.Close()
		log("remove temp: %v", os.Remove(tmp.Name()))
	}
	tdir, err := os.MkdirTemp(filepath.Join(dir, "data"), "tdir")
	log("mkdirtemp: %v", err)
	log("remove temp dir: %v", os.Remove(tdir))

	fsys := os.DirFS(filepath.Join(dir, "data"))
	content, err := fs.ReadFile(fsys, "old/notes.txt")
	log("dirfs readfile: %d %v", len(content), err)
	matches, err := fs.Glob(fsys, "?")
	log("dirfs glob: %v %v", matches, err)

	root, err := os.OpenRoot(filepath.Join(dir, "data"))
	if err == nil {
		rf, err := root.Open("old/notes.txt")
		if err == nil {
			rfi, _ := rf.Stat()
			log("root open: %s %d", rfi.Name(), rfi.Size())
			rf.Close()
		}
		_, err = root.Open("../data/a")
		log("root escape: %v", err)
		log("root close: %v", root.Close())
	}
	inf, err := os.OpenInRoot(filepath.Join(dir, "data"), "a")
	if err == nil {
		b, err := io.ReadAll(inf)
		log("openinroot: %q %v", b, err)
		inf.Close()
	}

	log("remove missing: %v", os.Remove(filepath.Join(dir, "data", "missing")))
	log("remove nonempty: %v", os.Remove(filepath.Join(dir, "data")))
	log("remove file: %v", os.Remove(filepath.Join(dir, "data", "a")))
	_, err = os.Stat(filepath.Join(dir, "data", "a"))
	log("stat removed: %v %v", os.IsNotExist(err), err)
	log("removeall: %v", os.RemoveAll(filepath.Join(dir, "data")))
	_, err = os.Lstat(filepath.Join(dir, "data"))
	log("gone: %v", errors.Is(err, os.ErrNotExist))
}
