package conformance

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// CheckFile runs the File suite: every scenario runs against [OS] in one
// temporary directory and against impl in another, and their observations
// (return values, errors down to their type, Op, Path, errno and message,
// and the files left on disk) must be identical. It returns nil or one
// error listing every difference.
func CheckFile(impl FileSystem) error {
	return checkFile(impl).err("File suite")
}

// TestFile is [CheckFile] for use in a test: it reports each difference
// with t.Error and logs the scenarios that were skipped because impl
// lacks a function.
func TestFile(t *testing.T, impl FileSystem) {
	t.Helper()
	res := checkFile(impl)
	report(t, res)
}

func report(t *testing.T, res *result) {
	t.Helper()
	for _, s := range res.skipped {
		t.Logf("skipped %s", s)
	}
	for _, err := range res.errs {
		t.Error(err)
	}
}

func checkFile(impl FileSystem) *result {
	return runDiff(fileScenarios, OS(), impl.filled(), "impl", true)
}

// filled returns fsys with every nil function replaced by one that skips
// the scenario calling it.
func (fsys FileSystem) filled() FileSystem {
	v := reflect.ValueOf(&fsys).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Func || !f.IsNil() {
			continue
		}
		reason := "FileSystem." + v.Type().Field(i).Name + " is nil"
		f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value {
			panic(skipScenario{reason})
		}))
	}
	return fsys
}

// Helpers shared by the scenarios. Fixtures are made with package os so
// that a failure points at the function under test, not at the setup.

func pth(r *recorder, name string) string { return filepath.Join(r.dir, name) }

func fixture(r *recorder, name, data string) {
	r.rec("fixture "+name, os.WriteFile(pth(r, name), []byte(data), 0o644))
}

func fixtureDir(r *recorder, name string) {
	r.rec("fixture dir "+name, os.MkdirAll(pth(r, name), 0o755))
}

func openFile(r *recorder, x FileSystem, name string, flag int, perm fs.FileMode) File {
	f, err := x.OpenFile(pth(r, name), flag, perm)
	r.rec(fmt.Sprintf("OpenFile(%q, %#x, %v)", name, flag, perm), fileResult{f}, err)
	r.track(f)
	return f
}

func open(r *recorder, x FileSystem, name string) File {
	f, err := x.Open(pth(r, name))
	r.rec(fmt.Sprintf("Open(%q)", name), fileResult{f}, err)
	r.track(f)
	return f
}

func create(r *recorder, x FileSystem, name string) File {
	f, err := x.Create(pth(r, name))
	r.rec(fmt.Sprintf("Create(%q)", name), fileResult{f}, err)
	r.track(f)
	return f
}

// clampN keeps a reported count usable as a slice bound, so that an
// implementation returning a nonsense count is reported, not a panic.
func clampN(n, size int) int { return max(0, min(n, size)) }

func read(r *recorder, label string, f File, size int) {
	var buf []byte
	if size >= 0 {
		buf = make([]byte, size)
	}
	n, err := f.Read(buf)
	r.rec(label, n, err, buf[:clampN(n, len(buf))])
}

func readAt(r *recorder, label string, f File, size int, off int64) {
	var buf []byte
	if size >= 0 {
		buf = make([]byte, size)
	}
	n, err := f.ReadAt(buf, off)
	r.rec(label, n, err, buf[:clampN(n, len(buf))])
}

func seek(r *recorder, label string, f File, off int64, whence int) {
	ret, err := f.Seek(off, whence)
	r.rec(label, ret, err)
}

func stat(r *recorder, label string, f File) {
	fi, err := f.Stat()
	r.rec(label, fi, err)
}

// readDirAll pages through f with ReadDir(n) until an error and records
// each page's size and error and then the union of the pages as a set:
// directory order is the file system's and need not match between runs.
func readDirAll(r *recorder, label string, f File, n int) {
	var all []fs.DirEntry
	for i := 0; i < 100; i++ {
		list, err := f.ReadDir(n)
		r.rec(fmt.Sprintf("%s ReadDir(%d) page %d", label, n, i), nilness(list), err)
		all = append(all, list...)
		if err != nil || len(list) == 0 {
			break
		}
	}
	r.rec(label+" entries", all)
}

// fileCalls records one call of each read, write and metadata method of f,
// with arguments that would succeed on an open regular file, so that
// after-close and nil-file compare how every one of them fails.
func fileCalls(r *recorder, f File) {
	read(r, "Read", f, 4)
	read(r, "Read(nil)", f, -1)
	readAt(r, "ReadAt", f, 4, 0)
	readAt(r, "ReadAt negative", f, 4, -1)
	n, err := f.Write([]byte("x"))
	r.rec("Write", n, err)
	n, err = f.WriteAt([]byte("x"), 0)
	r.rec("WriteAt", n, err)
	n, err = f.WriteString("x")
	r.rec("WriteString", n, err)
	seek(r, "Seek", f, 0, io.SeekStart)
	stat(r, "Stat", f)
	r.rec("Sync", f.Sync())
	r.rec("Truncate", f.Truncate(0))
	r.rec("Chmod", f.Chmod(0o600))
	n64, err := f.ReadFrom(strings.NewReader("x"))
	r.rec("ReadFrom", n64, err)
	var buf bytes.Buffer
	n64, err = f.WriteTo(&buf)
	r.rec("WriteTo", n64, err)
}

// parallel runs fn(0) to fn(n-1) each on a goroutine of its own, waits for
// all of them and returns what they returned, in order. A worker that
// panics yields "panic: " and the value instead, so that the scenario still
// records what the other workers saw.
func parallel(n int, fn func(i int) string) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					out[i] = fmt.Sprint("panic: ", v)
				}
			}()
			out[i] = fn(i)
		}()
	}
	wg.Wait()
	return out
}

func pattern(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func digest(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

const (
	seekData = 3 // SEEK_DATA on Linux
	seekHole = 4 // SEEK_HOLE on Linux
)

var fileScenarios = []scenario[FileSystem]{
	{"read", func(r *recorder, x FileSystem) {
		fixture(r, "f", "hello world")
		f := open(r, x, "f")
		read(r, "Read(nil)", f, -1)
		read(r, "Read(empty)", f, 0)
		read(r, "Read(5)", f, 5)
		read(r, "Read(100)", f, 100)
		read(r, "Read at EOF", f, 10)
		read(r, "Read at EOF again", f, 10)
		read(r, "Read(nil) at EOF", f, -1)
		read(r, "Read(empty) at EOF", f, 0)
		r.rec("Name", f.Name())
		r.rec("Fd", f.Fd())
		r.rec("Close", f.Close())
	}},
	{"readat", func(r *recorder, x FileSystem) {
		fixture(r, "f", "hello world")
		f := open(r, x, "f")
		readAt(r, "ReadAt(5, 0)", f, 5, 0)
		readAt(r, "ReadAt short", f, 20, 6)
		readAt(r, "ReadAt at EOF", f, 4, 11)
		readAt(r, "ReadAt after EOF", f, 4, 100)
		readAt(r, "ReadAt(empty) after EOF", f, 0, 100)
		readAt(r, "ReadAt(nil, 3)", f, -1, 3)
		readAt(r, "ReadAt negative", f, 4, -1)
		readAt(r, "ReadAt(empty) negative", f, 0, -1)
		read(r, "Read after ReadAt keeps offset 0", f, 5)
		r.rec("Close", f.Close())
		fixtureDir(r, "d")
		d := open(r, x, "d")
		readAt(r, "ReadAt on directory", d, 4, 0)
	}},
	{"write-writeat", func(r *recorder, x FileSystem) {
		f := create(r, x, "f")
		n, err := f.Write([]byte("0123456789"))
		r.rec("Write", n, err)
		n, err = f.Write(nil)
		r.rec("Write(nil)", n, err)
		n, err = f.WriteAt([]byte("abc"), 20)
		r.rec("WriteAt past end", n, err)
		n, err = f.WriteAt([]byte("XY"), 2)
		r.rec("WriteAt inside", n, err)
		n, err = f.WriteAt([]byte("z"), -1)
		r.rec("WriteAt negative", n, err)
		n, err = f.WriteAt(nil, 0)
		r.rec("WriteAt(nil)", n, err)
		n, err = f.Write([]byte("!"))
		r.rec("Write after WriteAt uses file offset", n, err)
		stat(r, "Stat", f)
		readAt(r, "ReadAt all", f, 30, 0)
		r.rec("Close", f.Close())
	}},
	{"append", func(r *recorder, x FileSystem) {
		fixture(r, "f", "start\n")
		f := openFile(r, x, "f", os.O_APPEND|os.O_WRONLY, 0)
		n, err := f.Write([]byte("one\n"))
		r.rec("Write", n, err)
		n, err = f.WriteAt([]byte("x"), 0)
		r.rec("WriteAt on O_APPEND", n, err)
		n, err = f.WriteAt([]byte("x"), -1)
		r.rec("WriteAt negative on O_APPEND", n, err)
		seek(r, "Seek(0, 0)", f, 0, io.SeekStart)
		n, err = f.WriteString("two\n")
		r.rec("WriteString after Seek still appends", n, err)
		r.rec("Close", f.Close())
		g := openFile(r, x, "new", os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o600)
		n, err = g.Write([]byte("abc"))
		r.rec("Write new", n, err)
		readAt(r, "ReadAt on O_APPEND|O_RDWR", g, 3, 0)
		stat(r, "Stat", g)
	}},
	{"open-flags", func(r *recorder, x FileSystem) {
		fixture(r, "exists", "abcdef")
		fixtureDir(r, "dir")
		openFile(r, x, "exists", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		f := openFile(r, x, "new", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		stat(r, "Stat new", f)
		openFile(r, x, "exists", os.O_TRUNC|os.O_WRONLY, 0)
		fixture(r, "exists", "abcdef")
		ro := open(r, x, "exists")
		n, err := ro.Write([]byte("x"))
		r.rec("Write on O_RDONLY", n, err)
		n, err = ro.WriteString("x")
		r.rec("WriteString on O_RDONLY", n, err)
		n, err = ro.WriteAt([]byte("x"), 0)
		r.rec("WriteAt on O_RDONLY", n, err)
		n64, err := ro.ReadFrom(strings.NewReader("x"))
		r.rec("ReadFrom on O_RDONLY", n64, err)
		wo := openFile(r, x, "exists", os.O_WRONLY, 0)
		read(r, "Read on O_WRONLY", wo, 3)
		readAt(r, "ReadAt on O_WRONLY", wo, 3, 0)
		var buf bytes.Buffer
		n64, err = wo.WriteTo(&buf)
		r.rec("WriteTo on O_WRONLY", n64, err)
		rw := openFile(r, x, "exists", os.O_RDWR, 0)
		read(r, "Read on O_RDWR", rw, 2)
		n, err = rw.Write([]byte("XY"))
		r.rec("Write on O_RDWR", n, err)
		r.rec("Name", rw.Name())
		open(r, x, "missing")
		openFile(r, x, "created", os.O_RDONLY|os.O_CREATE, 0o640)
		create(r, x, "exists")
		f, err = x.Open(pth(r, "exists") + "/")
		r.track(f)
		r.rec(`Open("exists/")`, fileResult{f}, err)
		open(r, x, "missing/x")
		create(r, x, "missing/x")
		openFile(r, x, "dir", os.O_WRONLY, 0)
		openFile(r, x, "dir", os.O_RDWR, 0)
		create(r, x, "dir")
		r.rec("Symlink fixture", os.Symlink("nowhere", pth(r, "dangling")))
		openFile(r, x, "dangling", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		openFile(r, x, "dangling", os.O_RDONLY, 0)
		openFile(r, x, "zero-perm", os.O_CREATE|os.O_WRONLY, 0)
	}},
	{"open-directory", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d")
		fixture(r, "d/a", "a")
		d := open(r, x, "d")
		read(r, "Read on directory", d, 8)
		n, err := d.Write([]byte("x"))
		r.rec("Write on directory", n, err)
		stat(r, "Stat", d)
		r.rec("Name", d.Name())
		r.rec("Sync", d.Sync())
		readDirAll(r, "after Read", d, -1)
		seek(r, "Seek(0, 0)", d, 0, io.SeekStart)
		seek(r, "Seek(0, 1)", d, 0, io.SeekCurrent)
		r.rec("Close", d.Close())
	}},
	{"readdir-paging", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d/sub")
		for _, name := range []string{"a", "b", "c", "d e", "ünï"} {
			fixture(r, "d/"+name, name)
		}
		r.rec("Symlink fixture", os.Symlink("a", pth(r, "d/link")))
		d := open(r, x, "d")
		readDirAll(r, "paged", d, 2)
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1) at end", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1) at end", list, err)
		r.rec("Close", d.Close())

		d = open(r, x, "d")
		infos, err := d.Readdir(4)
		r.rec("Readdir(4)", len(infos), err)
		rest, err := d.Readdir(0)
		r.rec("Readdir(0) rest", len(rest), err)
		r.rec("Readdir union", append(infos, rest...))
		infos, err = d.Readdir(3)
		r.rec("Readdir(3) at end", infos, err)
		r.rec("Close", d.Close())

		d = open(r, x, "d")
		names, err := d.Readdirnames(3)
		r.rec("Readdirnames(3)", len(names), err)
		more, err := d.Readdirnames(-1)
		r.rec("Readdirnames(-1) rest", len(more), err)
		r.rec("Readdirnames union", append(names, more...))
		names, err = d.Readdirnames(1)
		r.rec("Readdirnames(1) at end", names, err)
		names, err = d.Readdirnames(-1)
		r.rec("Readdirnames(-1) at end", names, err)
	}},
	{"readdir-empty", func(r *recorder, x FileSystem) {
		fixtureDir(r, "e")
		d := open(r, x, "e")
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = d.ReadDir(0)
		r.rec("ReadDir(0)", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1)", list, err)
		infos, err := d.Readdir(-1)
		r.rec("Readdir(-1)", infos, err)
		infos, err = d.Readdir(1)
		r.rec("Readdir(1)", infos, err)
		names, err := d.Readdirnames(0)
		r.rec("Readdirnames(0)", names, err)
		names, err = d.Readdirnames(5)
		r.rec("Readdirnames(5)", names, err)
	}},
	{"readdir-restart", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d")
		for _, name := range []string{"1", "2", "3", "4"} {
			fixture(r, "d/"+name, name)
		}
		d := open(r, x, "d")
		list, err := d.ReadDir(3)
		r.rec("ReadDir(3)", len(list), err)
		seek(r, "Seek past start after ReadDir", d, 1, io.SeekStart)
		seek(r, "Seek(0, 0)", d, 0, io.SeekStart)
		list, err = d.ReadDir(-1)
		r.rec("ReadDir(-1) after Seek(0, 0)", list, err)
		seek(r, "Seek(0, 0) again", d, 0, io.SeekStart)
		infos, err := d.Readdir(-1)
		r.rec("Readdir(-1) after Seek(0, 0)", infos, err)
		seek(r, "Seek(0, 0) third", d, 0, io.SeekStart)
		names, err := d.Readdirnames(-1)
		r.rec("Readdirnames(-1) after Seek(0, 0)", names, err)
	}},
	{"readdir-not-dir", func(r *recorder, x FileSystem) {
		fixture(r, "f", "data")
		f := open(r, x, "f")
		list, err := f.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = f.ReadDir(2)
		r.rec("ReadDir(2)", list, err)
		infos, err := f.Readdir(-1)
		r.rec("Readdir(-1)", infos, err)
		names, err := f.Readdirnames(1)
		r.rec("Readdirnames(1)", names, err)
		read(r, "Read after ReadDir", f, 10)
	}},
	{"seek", func(r *recorder, x FileSystem) {
		fixture(r, "f", "0123456789")
		f := openFile(r, x, "f", os.O_RDWR, 0)
		seek(r, "Seek(3, start)", f, 3, io.SeekStart)
		read(r, "Read(2)", f, 2)
		seek(r, "Seek(2, current)", f, 2, io.SeekCurrent)
		seek(r, "Seek(-2, end)", f, -2, io.SeekEnd)
		read(r, "Read(10)", f, 10)
		seek(r, "Seek(-20, current)", f, -20, io.SeekCurrent)
		seek(r, "Seek(-1, start)", f, -1, io.SeekStart)
		seek(r, "Seek(0, 7) bad whence", f, 0, 7)
		seek(r, "Seek(0, -1) bad whence", f, 0, -1)
		seek(r, "Seek(0, current) after errors", f, 0, io.SeekCurrent)
		seek(r, "Seek(100, start)", f, 100, io.SeekStart)
		read(r, "Read past end", f, 4)
		n, err := f.Write([]byte("x"))
		r.rec("Write past end", n, err)
		stat(r, "Stat", f)
		readAt(r, "ReadAt hole", f, 4, 10)
	}},
	{"seek-sparse", func(r *recorder, x FileSystem) {
		f := create(r, x, "sparse")
		r.rec("Truncate(4 MiB)", f.Truncate(4<<20))
		n, err := f.WriteAt(pattern(1, 4096), 1<<20)
		r.rec("WriteAt 1 MiB", n, err)
		r.rec("Sync", f.Sync())
		seek(r, "Seek(0, SEEK_DATA)", f, 0, seekData)
		seek(r, "Seek(0, SEEK_HOLE)", f, 0, seekHole)
		seek(r, "Seek(1 MiB, SEEK_HOLE)", f, 1<<20, seekHole)
		seek(r, "Seek(2 MiB, SEEK_DATA)", f, 2<<20, seekData)
		seek(r, "Seek(5 MiB, SEEK_HOLE)", f, 5<<20, seekHole)
		seek(r, "Seek(-1, SEEK_DATA)", f, -1, seekData)
	}},
	{"after-close", func(r *recorder, x FileSystem) {
		fixture(r, "f", "content")
		fixtureDir(r, "d")
		f := openFile(r, x, "f", os.O_RDWR, 0)
		d := open(r, x, "d")
		r.rec("Close", f.Close())
		r.rec("Close again", f.Close())
		r.rec("Close dir", d.Close())
		r.rec("Close dir again", d.Close())
		r.rec("Name", f.Name())
		r.rec("Fd", f.Fd())
		fileCalls(r, f)
		r.rec("SetDeadline", f.SetDeadline(time.Now().Add(time.Hour)))
		r.rec("SetReadDeadline", f.SetReadDeadline(time.Time{}))
		r.rec("SetWriteDeadline", f.SetWriteDeadline(time.Time{}))
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1)", list, err)
		infos, err := d.Readdir(-1)
		r.rec("Readdir", infos, err)
		names, err := d.Readdirnames(-1)
		r.rec("Readdirnames", names, err)
		seek(r, "Seek dir", d, 0, io.SeekStart)
		r.rec("Name dir", d.Name())
		r.rec("Fd dir", d.Fd())
		b, err := os.ReadFile(pth(r, "f"))
		r.rec("content unchanged", b, err)
	}},
	{"nil-file", func(r *recorder, x FileSystem) {
		f := x.NilFile
		if f == nil {
			r.skip("FileSystem.NilFile is nil")
		}
		fileCalls(r, f)
		list, err := f.ReadDir(-1)
		r.rec("ReadDir", list, err)
		infos, err := f.Readdir(-1)
		r.rec("Readdir", infos, err)
		names, err := f.Readdirnames(-1)
		r.rec("Readdirnames", names, err)
		r.rec("SetDeadline", f.SetDeadline(time.Time{}))
		r.rec("SetReadDeadline", f.SetReadDeadline(time.Time{}))
		r.rec("SetWriteDeadline", f.SetWriteDeadline(time.Time{}))
		r.rec("Fd", f.Fd())
		r.rec("Close", f.Close())
	}},
	{"truncate-stat-chmod-sync", func(r *recorder, x FileSystem) {
		f := openFile(r, x, "t", os.O_RDWR|os.O_CREATE, 0o644)
		n, err := f.WriteString("0123456789")
		r.rec("WriteString", n, err)
		r.rec("Truncate(4)", f.Truncate(4))
		stat(r, "Stat after shrink", f)
		readAt(r, "ReadAt after shrink", f, 10, 0)
		r.rec("Truncate(20)", f.Truncate(20))
		stat(r, "Stat after grow", f)
		r.rec("Truncate(-1)", f.Truncate(-1))
		r.rec("Chmod(0600)", f.Chmod(0o600))
		stat(r, "Stat after Chmod", f)
		r.rec("Chmod(setgid|0640)", f.Chmod(fs.ModeSetgid|0o640))
		stat(r, "Stat after Chmod setgid", f)
		r.rec("Chmod(0644)", f.Chmod(0o644))
		r.rec("Sync", f.Sync())
		ro := open(r, x, "t")
		r.rec("Truncate on O_RDONLY", ro.Truncate(1))
		r.rec("Chmod on O_RDONLY", ro.Chmod(0o604))
		stat(r, "Stat O_RDONLY", ro)
		r.rec("Sync on O_RDONLY", ro.Sync())
		fixtureDir(r, "d")
		d := open(r, x, "d")
		stat(r, "Stat dir", d)
		r.rec("Truncate dir", d.Truncate(0))
		r.rec("Chmod dir", d.Chmod(0o700))
		stat(r, "Stat dir after Chmod", d)
	}},
	{"deadlines", func(r *recorder, x FileSystem) {
		fixture(r, "f", "x")
		fixtureDir(r, "d")
		f := openFile(r, x, "f", os.O_RDWR, 0)
		d := open(r, x, "d")
		for _, g := range []File{f, d} {
			r.rec("SetDeadline", g.SetDeadline(time.Now().Add(time.Hour)))
			r.rec("SetReadDeadline", g.SetReadDeadline(time.Now().Add(-time.Hour)))
			r.rec("SetWriteDeadline zero", g.SetWriteDeadline(time.Time{}))
		}
		read(r, "Read after SetReadDeadline in the past", f, 4)
	}},
	{"writestring-readfrom-writeto", func(r *recorder, x FileSystem) {
		src := create(r, x, "src")
		n, err := src.WriteString(strings.Repeat("hello from src\n", 1000))
		r.rec("WriteString", n, err)
		n, err = src.WriteString("")
		r.rec("WriteString empty", n, err)
		seek(r, "Seek src", src, 0, io.SeekStart)
		dst := create(r, x, "dst")
		n64, err := dst.ReadFrom(src)
		r.rec("ReadFrom(file)", n64, err)
		n64, err = dst.ReadFrom(src)
		r.rec("ReadFrom(file at EOF)", n64, err)
		n64, err = dst.ReadFrom(strings.NewReader("tail\n"))
		r.rec("ReadFrom(strings.Reader)", n64, err)
		seek(r, "Seek src again", src, 100, io.SeekStart)
		n64, err = dst.ReadFrom(io.LimitReader(src, 50))
		r.rec("ReadFrom(LimitReader(file))", n64, err)
		seek(r, "Seek src position", src, 0, io.SeekCurrent)
		app := openFile(r, x, "app", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		n, err = app.WriteString("first\n")
		r.rec("WriteString app", n, err)
		src2 := open(r, x, "src")
		n64, err = app.ReadFrom(src2)
		r.rec("ReadFrom into O_APPEND", n64, err)
		src3 := open(r, x, "src")
		seek(r, "Seek src3", src3, 10, io.SeekStart)
		var buf bytes.Buffer
		n64, err = src3.WriteTo(&buf)
		r.rec("WriteTo(bytes.Buffer)", n64, err, buf.Bytes())
		n64, err = src3.WriteTo(&buf)
		r.rec("WriteTo at EOF", n64, err)
		src4 := open(r, x, "src")
		cp := create(r, x, "copy")
		n64, err = io.Copy(cp, src4)
		r.rec("io.Copy(file, file)", n64, err)
		src5 := open(r, x, "src")
		cp2 := create(r, x, "copy2")
		n64, err = src5.WriteTo(cp2)
		r.rec("WriteTo(file)", n64, err)
	}},
	{"large", func(r *recorder, x FileSystem) {
		const size = 6<<20 + 123
		data := pattern(2, size)
		f := openFile(r, x, "big", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		n, err := f.Write(data)
		r.rec("Write 6 MiB", n, err)
		stat(r, "Stat", f)
		buf := make([]byte, size+10)
		n, err = f.ReadAt(buf, 0)
		r.rec("ReadAt whole", n, err, digest(buf[:clampN(n, len(buf))]))
		seek(r, "Seek(0, 0)", f, 0, io.SeekStart)
		all, err := io.ReadAll(f)
		r.rec("ReadAll", len(all), err, digest(all))
		n, err = f.WriteAt(pattern(3, 2<<20), 1<<20+7)
		r.rec("WriteAt 2 MiB", n, err)
		r.rec("Close", f.Close())
		b, err := x.ReadFile(pth(r, "big"))
		r.rec("ReadFile", len(b), err, digest(b))
		r.rec("WriteFile 3 MiB", x.WriteFile(pth(r, "big2"), pattern(4, 3<<20), 0o600))
	}},
	{"concurrent-at", func(r *recorder, x FileSystem) {
		const workers, region, chunk = 16, 64 << 10, 16 << 10
		f := openFile(r, x, "c", os.O_RDWR|os.O_CREATE, 0o644)
		r.rec("Truncate", f.Truncate(workers*region))
		writes := make([][]string, workers)
		read := parallel(workers, func(i int) string {
			data := pattern(uint64(100+i), region)
			base := int64(i * region)
			for off := 0; off < region; off += chunk {
				n, err := f.WriteAt(data[off:off+chunk], base+int64(off))
				writes[i] = append(writes[i], r.format(n)+" "+r.format(err))
			}
			buf := make([]byte, region)
			n, err := f.ReadAt(buf, base)
			return fmt.Sprintf("%d %s match=%v", n, r.format(err), bytes.Equal(buf, data))
		})
		for i := range workers {
			r.rec(fmt.Sprintf("worker %d", i), ordered(writes[i]), read[i])
		}
		// Overlapping readers, some running off the end of the file.
		reads := parallel(workers, func(i int) string {
			buf := make([]byte, 3*region)
			n, err := f.ReadAt(buf, int64(i*region+1000))
			return fmt.Sprintf("%d %s %s", n, r.format(err), digest(buf[:clampN(n, len(buf))]))
		})
		for i, s := range reads {
			r.rec(fmt.Sprintf("reader %d", i), s)
		}
		stat(r, "Stat", f)
	}},
	{"concurrent-read-append", func(r *recorder, x FileSystem) {
		const size, chunk, workers = 256 << 10, 4096, 8
		r.rec("fixture", os.WriteFile(pth(r, "src"), pattern(5, size), 0o644))
		f := open(r, x, "src")
		var mu sync.Mutex
		var chunks []string
		total := 0
		panics := parallel(workers, func(int) string {
			buf := make([]byte, chunk)
			for {
				n, err := f.Read(buf)
				mu.Lock()
				total += n
				if n > 0 || err != io.EOF {
					chunks = append(chunks, fmt.Sprintf("%d %s %s", n, r.format(err), digest(buf[:clampN(n, len(buf))])))
				}
				mu.Unlock()
				if err != nil || n == 0 {
					return ""
				}
			}
		})
		for _, p := range panics {
			if p != "" {
				chunks = append(chunks, p)
			}
		}
		slices.Sort(chunks)
		r.rec("concurrent Read total", total, len(chunks), digest([]byte(strings.Join(chunks, "\n"))))

		r.unordered("log")
		a := openFile(r, x, "log", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		errs := parallel(workers, func(i int) string {
			for j := range 50 {
				if _, err := a.WriteString(fmt.Sprintf("worker%02d line%03d\n", i, j)); err != nil {
					return r.format(err)
				}
			}
			return ""
		})
		r.rec("append errors", ordered(errs))
		b, err := os.ReadFile(pth(r, "log"))
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		r.rec("appended lines", len(b), err, lines)
	}},
	{"mkdir-remove", func(r *recorder, x FileSystem) {
		fixture(r, "file", "x")
		r.rec("Mkdir", x.Mkdir(pth(r, "d"), 0o750))
		fi, err := x.Stat(pth(r, "d"))
		r.rec("Stat", fi, err)
		r.rec("Mkdir existing", x.Mkdir(pth(r, "d"), 0o755))
		r.rec("Mkdir over file", x.Mkdir(pth(r, "file"), 0o755))
		r.rec("Mkdir missing parent", x.Mkdir(pth(r, "missing/d"), 0o755))
		r.rec("Mkdir under file", x.Mkdir(pth(r, "file/d"), 0o755))
		r.rec("Mkdir sticky", x.Mkdir(pth(r, "sticky"), fs.ModeSticky|0o777))
		fi, err = x.Stat(pth(r, "sticky"))
		r.rec("Stat sticky", fi, err)
		r.rec("MkdirAll", x.MkdirAll(pth(r, "a/b/c"), 0o755))
		r.rec("MkdirAll again", x.MkdirAll(pth(r, "a/b/c"), 0o755))
		r.rec("MkdirAll over file", x.MkdirAll(pth(r, "file"), 0o755))
		r.rec("MkdirAll under file", x.MkdirAll(pth(r, "file/x/y"), 0o755))
		r.rec("MkdirAll trailing slash", x.MkdirAll(pth(r, "t/u")+"/", 0o700))
		fixture(r, "a/b/c/f", "x")
		r.rec("Remove non-empty dir", x.Remove(pth(r, "a/b")))
		r.rec("Remove missing", x.Remove(pth(r, "missing")))
		r.rec("Remove file", x.Remove(pth(r, "file")))
		r.rec("Remove file again", x.Remove(pth(r, "file")))
		r.rec("Remove empty dir", x.Remove(pth(r, "d")))
		r.rec("Remove dot", x.Remove(pth(r, "a")+"/."))
		r.rec("RemoveAll dot", x.RemoveAll(pth(r, "a")+"/."))
		r.rec("RemoveAll tree", x.RemoveAll(pth(r, "a")))
		r.rec("RemoveAll missing", x.RemoveAll(pth(r, "a")))
		r.rec("RemoveAll under missing", x.RemoveAll(pth(r, "nope/x")))
		fixtureDir(r, "keep")
		fixture(r, "keep/f", "x")
		r.rec("Symlink fixture", os.Symlink(pth(r, "keep"), pth(r, "link")))
		r.rec("RemoveAll symlink to dir", x.RemoveAll(pth(r, "link")))
		r.rec("Symlink fixture 2", os.Symlink("keep", pth(r, "link2")))
		r.rec("Remove symlink", x.Remove(pth(r, "link2")))
	}},
	{"rename", func(r *recorder, x FileSystem) {
		fixture(r, "a", "A")
		fixture(r, "b", "B")
		fixtureDir(r, "full")
		fixture(r, "full/x", "x")
		fixtureDir(r, "empty")
		fixtureDir(r, "empty2")
		r.rec("Rename file", x.Rename(pth(r, "a"), pth(r, "a2")))
		r.rec("Rename onto file", x.Rename(pth(r, "a2"), pth(r, "b")))
		r.rec("Rename missing", x.Rename(pth(r, "a"), pth(r, "c")))
		fixture(r, "f", "F")
		r.rec("Rename file onto non-empty dir", x.Rename(pth(r, "f"), pth(r, "full")))
		r.rec("Rename file onto empty dir", x.Rename(pth(r, "f"), pth(r, "empty")))
		r.rec("Rename dir onto file", x.Rename(pth(r, "empty"), pth(r, "b")))
		r.rec("Rename dir onto empty dir", x.Rename(pth(r, "empty"), pth(r, "empty2")))
		r.rec("Rename dir onto non-empty dir", x.Rename(pth(r, "empty"), pth(r, "full")))
		r.rec("Rename into missing dir", x.Rename(pth(r, "b"), pth(r, "missing/b")))
		r.rec("Rename dir into itself", x.Rename(pth(r, "full"), pth(r, "full/sub")))
		r.rec("Rename dir", x.Rename(pth(r, "full"), pth(r, "moved")))
		r.rec("Rename onto itself", x.Rename(pth(r, "b"), pth(r, "b")))
	}},
	{"links", func(r *recorder, x FileSystem) {
		fixture(r, "file", "content")
		fixtureDir(r, "dir")
		fixture(r, "dir/inner", "inner")
		r.rec("Symlink dangling", x.Symlink("nowhere", pth(r, "l1")))
		r.rec("Symlink existing", x.Symlink("file", pth(r, "l1")))
		r.rec("Symlink into missing dir", x.Symlink("file", pth(r, "missing/l")))
		fi, err := x.Lstat(pth(r, "l1"))
		r.rec("Lstat dangling", fi, err)
		fi, err = x.Stat(pth(r, "l1"))
		r.rec("Stat dangling", fi, err)
		s, err := x.Readlink(pth(r, "l1"))
		r.rec("Readlink", s, err)
		r.rec("Symlink absolute to dir", x.Symlink(pth(r, "dir"), pth(r, "ldir")))
		s, err = x.Readlink(pth(r, "ldir"))
		r.rec("Readlink absolute", s, err)
		fi, err = x.Stat(pth(r, "ldir"))
		r.rec("Stat through link", fi, err)
		fi, err = x.Lstat(pth(r, "ldir"))
		r.rec("Lstat link", fi, err)
		b, err := x.ReadFile(pth(r, "ldir/inner"))
		r.rec("ReadFile through link", b, err)
		s, err = x.Readlink(pth(r, "file"))
		r.rec("Readlink of regular file", s, err)
		s, err = x.Readlink(pth(r, "dir"))
		r.rec("Readlink of dir", s, err)
		s, err = x.Readlink(pth(r, "missing"))
		r.rec("Readlink of missing", s, err)
		r.rec("Link", x.Link(pth(r, "file"), pth(r, "hard")))
		fi, err = x.Stat(pth(r, "hard"))
		r.rec("Stat hard link", fi, err)
		r.rec("Link missing source", x.Link(pth(r, "missing"), pth(r, "hard2")))
		r.rec("Link onto existing", x.Link(pth(r, "file"), pth(r, "hard")))
		r.rec("Link dir", x.Link(pth(r, "dir"), pth(r, "hard3")))
		fi, err = x.Lstat(pth(r, "missing"))
		r.rec("Lstat missing", fi, err)
		fi, err = x.Stat(pth(r, "file/x"))
		r.rec("Stat under file", fi, err)
		fi, err = x.Lstat(pth(r, "file") + "/")
		r.rec("Lstat file with slash", fi, err)
	}},
	{"chmod-chtimes-truncate", func(r *recorder, x FileSystem) {
		fixture(r, "f", "0123456789")
		fixtureDir(r, "d")
		r.rec("Chmod", x.Chmod(pth(r, "f"), 0o600))
		fi, err := x.Stat(pth(r, "f"))
		r.rec("Stat", fi, err)
		r.rec("Chmod setuid", x.Chmod(pth(r, "f"), fs.ModeSetuid|0o755))
		fi, err = x.Stat(pth(r, "f"))
		r.rec("Stat setuid", fi, err)
		r.rec("Chmod missing", x.Chmod(pth(r, "missing"), 0o600))
		r.rec("Chmod dir", x.Chmod(pth(r, "d"), 0o700))
		at := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
		mt := time.Date(2002, 3, 4, 5, 6, 7, 8000, time.UTC)
		r.rec("Chtimes", x.Chtimes(pth(r, "f"), at, mt))
		fi, err = x.Stat(pth(r, "f"))
		r.rec("Stat after Chtimes", withTime{fi}, err)
		r.rec("Chtimes zero keeps times", x.Chtimes(pth(r, "f"), time.Time{}, time.Time{}))
		fi, err = x.Stat(pth(r, "f"))
		r.rec("Stat after zero Chtimes", withTime{fi}, err)
		r.rec("Chtimes missing", x.Chtimes(pth(r, "missing"), at, mt))
		r.rec("Truncate shrink", x.Truncate(pth(r, "f"), 3))
		r.rec("Truncate grow", x.Truncate(pth(r, "f"), 5000))
		fi, err = x.Stat(pth(r, "f"))
		r.rec("Stat after Truncate", fi, err)
		r.rec("Truncate negative", x.Truncate(pth(r, "f"), -1))
		r.rec("Truncate missing", x.Truncate(pth(r, "missing"), 0))
		r.rec("Truncate dir", x.Truncate(pth(r, "d"), 0))
	}},
	{"readfile-writefile-readdir", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d")
		fixtureDir(r, "empty")
		r.rec("WriteFile", x.WriteFile(pth(r, "d/w"), []byte("written"), 0o640))
		fi, err := x.Stat(pth(r, "d/w"))
		r.rec("Stat", fi, err)
		r.rec("WriteFile shorter", x.WriteFile(pth(r, "d/w"), []byte("ab"), 0o600))
		b, err := x.ReadFile(pth(r, "d/w"))
		r.rec("ReadFile", b, err)
		r.rec("WriteFile empty", x.WriteFile(pth(r, "d/empty"), nil, 0o644))
		b, err = x.ReadFile(pth(r, "d/empty"))
		r.rec("ReadFile empty", b, err)
		b, err = x.ReadFile(pth(r, "missing"))
		r.rec("ReadFile missing", b, err)
		b, err = x.ReadFile(pth(r, "d"))
		r.rec("ReadFile dir", b, err)
		r.rec("WriteFile missing dir", x.WriteFile(pth(r, "missing/f"), []byte("x"), 0o644))
		r.rec("WriteFile onto dir", x.WriteFile(pth(r, "d"), []byte("x"), 0o644))
		for _, name := range []string{"z", "b", "a", "m m", "ä"} {
			fixture(r, "d/"+name, name)
		}
		fixtureDir(r, "d/sub")
		r.rec("Symlink fixture", os.Symlink("a", pth(r, "d/link")))
		list, err := x.ReadDir(pth(r, "d"))
		r.rec("ReadDir sorted", orderedEntries(list), err)
		list, err = x.ReadDir(pth(r, "empty"))
		r.rec("ReadDir empty", orderedEntries(list), err)
		list, err = x.ReadDir(pth(r, "missing"))
		r.rec("ReadDir missing", orderedEntries(list), err)
		list, err = x.ReadDir(pth(r, "d/a"))
		r.rec("ReadDir of file", orderedEntries(list), err)
	}},
	{"invalid-paths", func(r *recorder, x FileSystem) {
		fixture(r, "ok", "ok")
		for _, name := range []string{"", pth(r, "nul\x00byte")} {
			q := fmt.Sprintf(" %q", r.norm(name))
			f, err := x.Open(name)
			r.track(f)
			r.rec("Open"+q, fileResult{f}, err)
			f, err = x.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
			r.track(f)
			r.rec("OpenFile"+q, fileResult{f}, err)
			f, err = x.Create(name)
			r.track(f)
			r.rec("Create"+q, fileResult{f}, err)
			r.rec("Mkdir"+q, x.Mkdir(name, 0o755))
			r.rec("MkdirAll"+q, x.MkdirAll(name, 0o755))
			r.rec("Remove"+q, x.Remove(name))
			if name != "" {
				r.rec("RemoveAll"+q, x.RemoveAll(name))
			}
			fi, err := x.Stat(name)
			r.rec("Stat"+q, fi, err)
			fi, err = x.Lstat(name)
			r.rec("Lstat"+q, fi, err)
			b, err := x.ReadFile(name)
			r.rec("ReadFile"+q, b, err)
			r.rec("WriteFile"+q, x.WriteFile(name, []byte("x"), 0o644))
			list, err := x.ReadDir(name)
			r.rec("ReadDir"+q, list, err)
			r.rec("Rename from"+q, x.Rename(name, pth(r, "new")))
			r.rec("Rename to"+q, x.Rename(pth(r, "ok"), name))
			r.rec("Symlink to"+q, x.Symlink(pth(r, "ok"), name))
			r.rec("Symlink target"+q, x.Symlink(name, pth(r, "l")))
			r.rec("Link to"+q, x.Link(pth(r, "ok"), name))
			s, err := x.Readlink(name)
			r.rec("Readlink"+q, s, err)
			r.rec("Chmod"+q, x.Chmod(name, 0o755))
			r.rec("Chtimes"+q, x.Chtimes(name, time.Time{}, time.Time{}))
			r.rec("Truncate"+q, x.Truncate(name, 0))
		}
	}},
}
