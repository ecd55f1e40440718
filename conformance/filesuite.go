package conformance

// The File suite's entry points, the table of its scenarios in run order,
// and the helpers the scenarios share to open files and record calls.

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
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

// fileScenarios is the File suite, in the order it runs and reports; each
// group lives in the file of its concern.
var fileScenarios = slices.Concat(
	readWriteScenarios,
	dirScenarios,
	seekScenarios,
	closedScenarios,
	truncateCopyScenarios,
	concurrentScenarios,
	pathScenarios,
)

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

func pattern(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func digest(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }
