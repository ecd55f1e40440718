package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root, which test modules replace uringfs with.
var repoRoot string

func TestMain(m *testing.M) {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	repoRoot = filepath.Join(wd, "..", "..")
	// The test modules resolve everything from the module cache and the
	// replaced repository, never from the network.
	os.Setenv("GOFLAGS", "-mod=mod")
	os.Setenv("GOPROXY", "off")
	os.Setenv("GOWORK", "off")
	os.Exit(m.Run())
}

// newModule makes a module in a temporary directory that requires uringfs
// from this repository, and copies the files of src into its package p.
func newModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf(`module example.com/t

go 1.26.0

require github.com/uringfs/uring v0.0.0

require golang.org/x/sys v0.50.0 // indirect

replace github.com/uringfs/uring => %s
`, repoRoot)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o666); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "p"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCases runs the tool with -w on each testdata/<case>/in and compares
// the files with <case>/out (a file missing there must stay as it was) and
// the report with <case>/report.txt. <case>/flags holds extra flags.
func TestCases(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/in")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no test cases")
	}
	for _, in := range cases {
		tc := filepath.Dir(in)
		t.Run(filepath.Base(tc), func(t *testing.T) {
			dir := newModule(t, in)
			args := []string{"-w"}
			if flags, err := os.ReadFile(filepath.Join(tc, "flags")); err == nil {
				args = append(args, strings.Fields(string(flags))...)
			}
			args = append(args, "./p")
			var stdout, stderr bytes.Buffer
			if rc := run(dir, args, &stdout, &stderr); rc != 0 {
				t.Fatalf("uringfix %s: exit %d\n%s%s", strings.Join(args, " "), rc, stdout.String(), stderr.String())
			}
			want, err := os.ReadFile(filepath.Join(tc, "report.txt"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if got := stdout.String(); got != string(want) {
				t.Errorf("report:\ngot:\n%swant:\n%s", got, want)
			}
			names, err := filepath.Glob(filepath.Join(in, "*"))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				base := filepath.Base(name)
				wantFile := filepath.Join(tc, "out", base)
				if _, err := os.Stat(wantFile); err != nil {
					wantFile = name
				}
				wantSrc, err := os.ReadFile(wantFile)
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, "p", base))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, wantSrc) {
					d, _ := unifiedDiff(base, wantSrc, got)
					t.Errorf("%s differs from %s:\n%s", base, wantFile, d)
				}
			}
		})
	}
}

// TestRefusesBrokenPackage checks that a package that does not build is
// refused, with a message naming it, and left as it was.
func TestRefusesBrokenPackage(t *testing.T) {
	dir := newModule(t, "testdata/local/in")
	broken := []byte("package p\n\nimport \"os\"\n\nfunc broken() { os.Open(1) }\n")
	if err := os.WriteFile(filepath.Join(dir, "p", "broken.go"), broken, 0o666); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "p", "local.go"))
	var stdout, stderr bytes.Buffer
	if rc := run(dir, []string{"-w", "./p"}, &stdout, &stderr); rc != 1 {
		t.Fatalf("exit %d, want 1\n%s", rc, stderr.String())
	}
	if !strings.Contains(stderr.String(), "refusing to change packages that do not build") ||
		!strings.Contains(stderr.String(), "example.com/t/p") {
		t.Errorf("stderr does not refuse clearly:\n%s", stderr.String())
	}
	after, _ := os.ReadFile(filepath.Join(dir, "p", "local.go"))
	if !bytes.Equal(before, after) {
		t.Error("local.go changed")
	}
}

// TestDryRun checks that without -w nothing is written and each change is
// listed, and that -diff prints a unified diff.
func TestDryRun(t *testing.T) {
	dir := newModule(t, "testdata/local/in")
	before, _ := os.ReadFile(filepath.Join(dir, "p", "local.go"))
	var stdout, stderr bytes.Buffer
	if rc := run(dir, []string{"./p"}, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d\n%s", rc, stderr.String())
	}
	if !strings.Contains(stdout.String(), "p/local.go:10:12: os.Open -> uringfs.Open\n") {
		t.Errorf("changes not listed:\n%s", stdout.String())
	}
	stdout.Reset()
	if rc := run(dir, []string{"-diff", "./p"}, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d\n%s", rc, stderr.String())
	}
	for _, want := range []string{"--- a/p/local.go\n", "+++ b/p/local.go\n", "-\tf, err := os.Open(name)\n", "+\tf, err := uringfs.Open(name)\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, stdout.String())
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "p", "local.go"))
	if !bytes.Equal(before, after) {
		t.Error("local.go changed without -w")
	}
}

// TestRevert checks that a rewrite that does not build is put back and
// reported.
func TestRevert(t *testing.T) {
	dir := newModule(t, "testdata/local/in")
	results, err := fixPackages(dir, []string{"./p"}, options{})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if len(r.files) != 1 {
		t.Fatalf("%d files changed, want 1", len(r.files))
	}
	r.files[0].new = append(r.files[0].new, "\nfunc broken() { undefined() }\n"...)
	err = writeAndVerify(dir, r)
	if err == nil || !strings.Contains(err.Error(), "reverted local.go") {
		t.Fatalf("writeAndVerify: %v, want a revert", err)
	}
	got, _ := os.ReadFile(r.files[0].name)
	if !bytes.Equal(got, r.files[0].old) {
		t.Error("local.go not restored")
	}
}

func TestLineDiff(t *testing.T) {
	got := string(lineDiff("x.go", []byte("a\nb\nc\n"), []byte("a\nB\nc\n")))
	want := "--- a/x.go\n+++ b/x.go\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// TestRefusesCycle checks that packages uringfs itself imports are refused.
func TestRefusesCycle(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := run(repoRoot, []string{"./uringfs"}, &stdout, &stderr); rc != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", rc, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "uringfs imports it") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
