package compat_test

import (
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/uringfs/uring/compat"
	"github.com/uringfs/uring/conformance"
	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestMain fails the run when the tests leave a goroutine of this module
// running or a file descriptor open (see testkit.Run). Asking for the
// backend starts the process-wide loop, which lives until exit by design,
// before the baseline is taken; the rings it sets up later, as more Ps
// submit, are released by Shutdown before the check.
func TestMain(m *testing.M) {
	if os.Getenv(configureChildEnv) != "" {
		os.Exit(configureChild())
	}
	b, err := uringfs.Backend()
	os.Stderr.WriteString("uringfs backend: " + b + "\n")
	if err != nil {
		os.Stderr.WriteString("uringfs backend error: " + err.Error() + "\n")
	}
	testkit.Main(m, func() { uringfs.Shutdown() })
}

// TestTypicalProgram runs the same program text with os and with compat as
// its os, each in its own directory, and requires identical transcripts and
// identical trees left behind.
func TestTypicalProgram(t *testing.T) {
	run := func(prog func(*testkit.Recorder, string)) (*testkit.Recorder, testkit.Tree) {
		dir := t.TempDir()
		r := testkit.NewRecorder(dir)
		prog(r, dir)
		return r, testkit.Snapshot(dir, nil)
	}
	want, wantTree := run(typicalOS)
	got, gotTree := run(typicalCompat)
	if len(want.Steps()) < 50 {
		t.Fatalf("the os run stopped early:\n%s", strings.Join(want.Lines(), "\n"))
	}
	for _, d := range testkit.Differences("os", "compat", want.Steps(), got.Steps(), 0) {
		t.Error(d)
	}
	if d := wantTree.Diff(gotTree, "os", "compat"); d != "" {
		t.Errorf("trees differ:\n%s", d)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("os transcript:\n%s", strings.Join(want.Lines(), "\n"))
	}
}

// TestTypicalProgramTextsMatch keeps the two programs the same text, so
// that TestTypicalProgram really tests an import swap.
func TestTypicalProgramTextsMatch(t *testing.T) {
	body := func(file, name string) string {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		i := strings.Index(s, "func "+name+"(")
		if i < 0 {
			t.Fatalf("%s: no func %s", file, name)
		}
		return strings.ReplaceAll(s[i:], name, "typical")
	}
	a := body("typical_os_test.go", "typicalOS")
	b := body("typical_compat_test.go", "typicalCompat")
	if a != b {
		t.Errorf("typical_os_test.go and typical_compat_test.go differ beyond the import of os")
	}
}

// notCovered is what the package doc says compat leaves to os.
var notCovered = []string{
	"FindProcess", "ProcAttr", "Process", "ProcessState", "StartProcess",
}

// exported lists the exported package-level names declared in the Go files
// of pkg for this GOOS/GOARCH.
func exported(t *testing.T, pkg *build.Package) []string {
	t.Helper()
	fset := token.NewFileSet()
	var names []string
	add := func(id *ast.Ident) {
		if id.IsExported() {
			names = append(names, id.Name)
		}
	}
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						add(s.Name)
					case *ast.ValueSpec:
						for _, id := range s.Names {
							add(id)
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// TestCoversOS compares the exported names of os, as built for this system,
// with this package's: everything os has is here except the documented
// notCovered list, and everything in that list is really absent.
func TestCoversOS(t *testing.T) {
	osPkg, err := build.Default.Import("os", "", 0)
	if err != nil {
		t.Skipf("os sources not available: %v", err)
	}
	ours, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	have := exported(t, ours)
	var missing []string
	for _, name := range exported(t, osPkg) {
		if _, found := slices.BinarySearch(have, name); !found {
			missing = append(missing, name)
		}
	}
	if !slices.Equal(missing, notCovered) {
		t.Errorf("os names absent from compat: %v\nthe package doc lists: %v", missing, notCovered)
	}
}

// TestFileMethodSet checks that *compat.File has every method of *os.File
// with the same signature, so code calling them compiles after the swap.
func TestFileMethodSet(t *testing.T) {
	osT := reflect.TypeFor[*os.File]()
	ourT := reflect.TypeFor[*compat.File]()
	for i := range osT.NumMethod() {
		m := osT.Method(i)
		ours, ok := ourT.MethodByName(m.Name)
		if !ok {
			t.Errorf("*compat.File has no method %s", m.Name)
			continue
		}
		sig := func(ft reflect.Type) string {
			var b strings.Builder
			for j := 1; j < ft.NumIn(); j++ {
				b.WriteString(ft.In(j).String() + ",")
			}
			b.WriteString("->")
			for j := range ft.NumOut() {
				b.WriteString(ft.Out(j).String() + ",")
			}
			return b.String()
		}
		// A method returning *os.File would return *compat.File here.
		want := strings.ReplaceAll(sig(m.Type), "*os.File", "*uringfs.File")
		if got := sig(ours.Type); got != want {
			t.Errorf("%s: %s, os has %s", m.Name, got, sig(m.Type))
		}
	}
}

func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, name := range []string{a, b} {
		if err := compat.WriteFile(name, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := compat.Link(a, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	ours := func(name string) compat.FileInfo {
		fi, err := compat.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	theirs := func(name string) os.FileInfo {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	f, err := compat.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fromFile, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := compat.ReadDir(dir)
	if err != nil || len(entries) != 3 || entries[0].Name() != "a" {
		t.Fatalf("ReadDir: %v %v", entries, err)
	}
	fromEntry, err := entries[0].Info()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what     string
		fi1, fi2 compat.FileInfo
		want     bool
	}{
		{"ours, same name", ours(a), ours(a), true},
		{"ours, hard link", ours(a), ours(filepath.Join(dir, "hard")), true},
		{"ours, other file", ours(a), ours(b), false},
		{"ours and os", ours(a), theirs(a), true},
		{"os and ours, other file", theirs(b), ours(a), false},
		{"File.Stat and Stat", fromFile, ours(a), true},
		{"DirEntry.Info and os", fromEntry, theirs(a), true},
		{"nil", nil, ours(a), false},
	} {
		if got := compat.SameFile(c.fi1, c.fi2); got != c.want {
			t.Errorf("%s: SameFile = %v, want %v", c.what, got, c.want)
		}
		// Where os.SameFile can judge (both from os), it must agree.
		if c.fi1 != nil {
			if got := os.SameFile(theirs(filepath.Join(dir, c.fi1.Name())), theirs(filepath.Join(dir, c.fi2.Name()))); got != c.want {
				t.Errorf("%s: os.SameFile on os's FileInfos = %v, want %v", c.what, got, c.want)
			}
		}
	}
}

// TestErrorsAreOsErrors checks that errors from compat match os's sentinel
// values and types, so error handling written for os keeps working.
func TestErrorsAreOsErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := compat.Open(filepath.Join(dir, "missing"))
	var pe *compat.PathError
	if !compat.IsNotExist(err) || !os.IsNotExist(err) || !reflect.TypeOf(err).AssignableTo(reflect.TypeOf(pe)) {
		t.Errorf("Open missing: %#v", err)
	}
	err = compat.Mkdir(dir, 0o755)
	if !compat.IsExist(err) {
		t.Errorf("Mkdir existing: %v", err)
	}
	err = compat.Rename(filepath.Join(dir, "missing"), filepath.Join(dir, "x"))
	if _, ok := err.(*os.LinkError); !ok {
		t.Errorf("Rename missing: %T, want *os.LinkError", err)
	}
	f, err := compat.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.Write([]byte("x")); !errors.Is(err, compat.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// TestConformance runs the conformance package's File and fs.FS suites over
// compat's functions, exactly as a program importing compat as os calls them.
func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the conformance suites compare Linux errno values and SEEK_DATA/SEEK_HOLE")
	}
	conformance.TestFile(t, conformance.FileSystem{
		OpenFile:  conformance.AdaptOpenFile(compat.OpenFile),
		Open:      conformance.AdaptOpen(compat.Open),
		Create:    conformance.AdaptOpen(compat.Create),
		Mkdir:     compat.Mkdir,
		MkdirAll:  compat.MkdirAll,
		Remove:    compat.Remove,
		RemoveAll: compat.RemoveAll,
		Rename:    compat.Rename,
		Stat:      compat.Stat,
		Lstat:     compat.Lstat,
		Symlink:   compat.Symlink,
		Readlink:  compat.Readlink,
		Link:      compat.Link,
		Chmod:     compat.Chmod,
		Chtimes:   compat.Chtimes,
		Truncate:  compat.Truncate,
		ReadFile:  compat.ReadFile,
		WriteFile: compat.WriteFile,
		ReadDir:   compat.ReadDir,
		NilFile:   (*compat.File)(nil),
	})
	conformance.TestFS(t, func(dir string) fs.FS { return compat.DirFS(dir) })
}
