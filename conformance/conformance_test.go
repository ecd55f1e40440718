package conformance

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/afero"
)

// The oracle must pass every suite against itself; anything else means a
// scenario records something that is not deterministic.

func TestOracleFile(t *testing.T) {
	TestFile(t, OS())
}

func TestOracleFS(t *testing.T) {
	TestFS(t, func(dir string) fs.FS { return os.DirFS(dir) })
}

func TestOracleAfero(t *testing.T) {
	TestAferoFs(t, afero.NewOsFs())
}

// onlyFile runs the named File scenarios, so that each broken
// implementation costs only the scenarios that should catch it.
func onlyFile(impl FileSystem, names ...string) *result {
	var list []scenario[FileSystem]
	for _, sc := range fileScenarios {
		if slices.Contains(names, sc.name) {
			list = append(list, sc)
		}
	}
	if len(list) != len(names) {
		panic(fmt.Sprintf("unknown scenario in %q", names))
	}
	return runDiff(list, OS(), impl.filled(), "impl", true)
}

// brokenFile is an *os.File with one deliberate deviation from os.
type brokenFile struct {
	*os.File
	mode       string
	appendMode bool
}

func (f *brokenFile) Read(b []byte) (int, error) {
	if f.mode == "read-nil-eof" && len(b) == 0 {
		return 0, io.EOF
	}
	return f.File.Read(b)
}

func (f *brokenFile) ReadAt(b []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(b, off)
	if f.mode == "readat-drop-eof" && n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

func (f *brokenFile) Seek(off int64, whence int) (int64, error) {
	ret, err := f.File.Seek(off, whence)
	var pe *fs.PathError
	if f.mode == "wrong-op" && errors.As(err, &pe) {
		pe.Op = "lseek"
	}
	return ret, err
}

func (f *brokenFile) ReadDir(n int) ([]fs.DirEntry, error) {
	list, err := f.File.ReadDir(n)
	switch {
	case f.mode == "readdir-nil" && len(list) == 0:
		list = nil
	case f.mode == "readdir-no-eof" && err == io.EOF:
		err = nil
	}
	return list, err
}

func (f *brokenFile) WriteAt(b []byte, off int64) (int, error) {
	if f.mode == "writeat-append" && f.appendMode {
		return f.File.Write(b)
	}
	return f.File.WriteAt(b, off)
}

func brokenFS(mode string) FileSystem {
	x := OS()
	wrap := func(f *os.File, err error, flag int) (File, error) {
		if f == nil {
			return nil, err
		}
		return &brokenFile{File: f, mode: mode, appendMode: flag&os.O_APPEND != 0}, err
	}
	x.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) {
		f, err := os.OpenFile(name, flag, perm)
		return wrap(f, err, flag)
	}
	x.Open = func(name string) (File, error) {
		f, err := os.Open(name)
		return wrap(f, err, 0)
	}
	x.Create = func(name string) (File, error) {
		f, err := os.Create(name)
		return wrap(f, err, 0)
	}
	x.NilFile = nil
	return x
}

func TestFileSuiteCatchesBrokenFiles(t *testing.T) {
	tests := []struct {
		mode      string
		scenarios []string
		want      string // a step that must be reported
	}{
		{"read-nil-eof", []string{"read"}, "Read(nil)"},
		{"readat-drop-eof", []string{"readat"}, "ReadAt short"},
		{"wrong-op", []string{"seek"}, `Op:"lseek"`},
		{"readdir-nil", []string{"readdir-empty"}, "ReadDir(-1)"},
		{"readdir-no-eof", []string{"readdir-paging"}, "paged ReadDir(2)"},
		{"writeat-append", []string{"append"}, "WriteAt on O_APPEND"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			err := onlyFile(brokenFS(tt.mode), tt.scenarios...).err("File suite")
			if err == nil {
				t.Fatalf("suite passed a file broken with %s", tt.mode)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("report does not mention %q:\n%v", tt.want, err)
			}
		})
	}
}

func TestFileSuiteSkipsMissingFunctions(t *testing.T) {
	x := OS()
	x.Link = nil
	x.NilFile = nil
	res := onlyFile(x, "read", "links", "nil-file")
	if err := res.err("File suite"); err != nil {
		t.Fatal(err)
	}
	want := []string{"nil-file: FileSystem.NilFile is nil", "links: FileSystem.Link is nil"}
	if !slices.Equal(res.skipped, want) {
		t.Errorf("skipped = %q, want %q", res.skipped, want)
	}
}

func TestFileSuiteReportsPanics(t *testing.T) {
	x := OS()
	x.Stat = func(string) (fs.FileInfo, error) { panic("boom") }
	err := onlyFile(x, "mkdir-remove").err("File suite")
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panic not reported: %v", err)
	}
}

func TestAdaptOpenMapsTypedNil(t *testing.T) {
	open := AdaptOpen(os.Open)
	f, err := open("/nonexistent/conformance")
	if f != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("AdaptOpen(os.Open) on a missing file = %#v, %v; want nil interface and ErrNotExist", f, err)
	}
	openFile := AdaptOpenFile(os.OpenFile)
	f, err = openFile(os.DevNull, os.O_RDONLY, 0)
	if f == nil || err != nil {
		t.Fatalf("AdaptOpenFile(os.OpenFile)(%s) = %v, %v", os.DevNull, f, err)
	}
	f.Close()
}

// missingNotExistFS reports missing files with an error that is not
// fs.ErrNotExist.
type missingNotExistFS struct{ fs.FS }

func (m missingNotExistFS) Open(name string) (fs.File, error) {
	f, err := m.FS.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not found")}
	}
	return f, err
}

func TestFSSuiteCatchesWrongNotExist(t *testing.T) {
	err := CheckFS(func(dir string) fs.FS { return missingNotExistFS{os.DirFS(dir)} })
	if err == nil {
		t.Fatal("suite passed an fs.FS whose missing files are not ErrNotExist")
	}
	if !strings.Contains(err.Error(), `Open "missing"`) {
		t.Errorf("report does not mention Open of a missing file:\n%v", err)
	}
}

// dirReadFS makes Read on a directory succeed with no data, which
// fstest does not notice but the suite must.
type dirReadFS struct{ fs.FS }

type dirReadFile struct{ fs.ReadDirFile }

func (d dirReadFile) Read([]byte) (int, error) { return 0, io.EOF }

func (m dirReadFS) Open(name string) (fs.File, error) {
	f, err := m.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if d, ok := f.(fs.ReadDirFile); ok {
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return dirReadFile{d}, nil
		}
	}
	return f, nil
}

func TestFSSuiteCatchesDirectoryRead(t *testing.T) {
	err := CheckFS(func(dir string) fs.FS { return dirReadFS{os.DirFS(dir)} })
	if err == nil || !strings.Contains(err.Error(), "Read on directory") {
		t.Errorf("suite did not report a directory that reads as empty: %v", err)
	}
}

// typedNilFs returns a nil *os.File inside a non-nil afero.File.
type typedNilFs struct{ afero.OsFs }

func (typedNilFs) Open(name string) (afero.File, error) {
	f, err := os.Open(name)
	return f, err
}

// wrappedErrnoFs hides the errno one layer deeper than *os.PathError.Err;
// errors.Is still works, afero's comparisons do not.
type wrappedErrnoFs struct{ afero.OsFs }

func wrapErrno(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errno, ok := pe.Err.(syscall.Errno); ok {
			pe.Err = fmt.Errorf("uring: %w", errno)
		}
	}
	return err
}

func (wrappedErrnoFs) Open(name string) (afero.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, wrapErrno(err)
	}
	return f, nil
}

func (wrappedErrnoFs) Stat(name string) (fs.FileInfo, error) {
	fi, err := os.Stat(name)
	return fi, wrapErrno(err)
}

func TestAferoSuiteCatchesTypedNil(t *testing.T) {
	err := CheckAferoFs(typedNilFs{})
	if err == nil || !strings.Contains(err.Error(), "file=typed-nil(*os.File)") {
		t.Errorf("suite did not report a typed nil File: %v", err)
	}
}

func TestAferoSuiteCatchesWrappedErrno(t *testing.T) {
	err := CheckAferoFs(wrappedErrnoFs{})
	if err == nil {
		t.Fatal("suite passed an Fs whose errors wrap the errno")
	}
	for _, want := range []string{"raw=*fmt.wrapError", "copy-on-write"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report does not mention %q:\n%v", want, err)
		}
	}
}
