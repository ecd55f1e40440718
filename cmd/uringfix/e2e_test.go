//go:build linux

package main

// The end-to-end test (issue 19): uringfix on real code that no one here
// wrote. Each module below is fetched from the module proxy (go mod
// download), copied into a temporary workspace that requires this
// repository's uringfs through a replace directive, rewritten with
// uringfix -w -test ./..., and then must pass its own test suite, run with
// URINGFS_BACKEND=uring and URINGFS_METADATA=ring: uringfs then refuses to
// fall back to system calls and sends its metadata calls to the ring too,
// so every rewritten call the suite reaches ran on io_uring, or the suite
// would fail. go list must also show a package of the module importing
// uringfs, and the dry run must list rewritten call sites outside the
// _test.go files.
//
// When it runs. It costs about 15 s of wall time (most of it the modules'
// own tests, one of which sleeps 5 s), and CI runs the whole suite in many
// configurations, so it runs only in one: go test -short skips it; so do a
// GOARCH other than the host's (the 386 runs, and arm64 and s390x under
// qemu, which refuses io_uring anyway), URINGFS_BACKEND or URINGFS_METADATA
// set (those runs test uringfs itself, not the rewrite), and a process where
// io_uring is refused (the seccomp run of .ci/run, an old kernel), because
// there the suites could not show that the rewritten I/O runs on the ring.
// It does not look at -race: the modules' test suites run in child
// processes without it, so the race detector only slows the analysis a
// little. In .ci/run that leaves the first run (-race, default backend).
// URINGFS_E2E=1 runs it in any configuration (with the ring required only
// where it is available), URINGFS_E2E=0 skips it.
//
// When the module proxy (or the checksum database) cannot be reached the
// test skips, saying so; any other failure to fetch fails it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// e2eGOPROXY is GOPROXY as the test started with it: TestMain sets it to
// off for the other tests, after package variables are initialized.
var e2eGOPROXY, e2eHaveGOPROXY = os.LookupEnv("GOPROXY")

// e2eModule is a module whose suite runs after the rewrite.
type e2eModule struct {
	path, version string
	what          string   // what it is, for the log
	env           []string // extra environment for its tests
	testArgs      []string // extra go test flags
	why           string   // why env and testArgs are needed
}

var e2eModules = []e2eModule{
	{
		path: "github.com/google/renameio/v2", version: "v2.0.2",
		what: "atomic file replacement: temporary files, rename, symlinks",
	},
	{
		path: "github.com/otiai10/copy", version: "v1.14.1",
		what:     "recursive directory copy",
		env:      []string{"TESTCASE=1"},
		testArgs: []string{"-skip", "^(TestOptions_PreserveTimes|TestOptions_PreserveLTimes)$"},
		why: "TESTCASE=1 skips the case that copies to /case00 expecting a permission error, which root does not get; " +
			"TestOptions_PreserveTimes and TestOptions_PreserveLTimes stat the fixtures test/data/case09/symlink " +
			"and case15/symlink, symbolic links that module zips leave out, and fail on the pristine module too",
	},
	{
		path: "github.com/gofrs/flock", version: "v0.13.2",
		what: "file locking",
	},
}

func TestE2EModules(t *testing.T) {
	e2eGate(t)
	start := time.Now()
	ringEnv := e2eRingEnv(t)

	// Fetch every module first, so an unreachable proxy skips the test
	// before any of it has run.
	dirs := make([]string, len(e2eModules))
	for i, m := range e2eModules {
		dirs[i] = e2eDownload(t, m.path+"@"+m.version)
	}
	t.Logf("downloaded %d modules in %v", len(e2eModules), time.Since(start).Round(time.Millisecond))

	for i, m := range e2eModules {
		t.Run(strings.ReplaceAll(m.path, "/", "_"), func(t *testing.T) {
			e2eModuleTest(t, m, dirs[i], ringEnv)
		})
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// e2eGate skips the test where it is not to run (see the comment at the
// top of this file).
func e2eGate(t *testing.T) {
	switch os.Getenv("URINGFS_E2E") {
	case "1":
		return
	case "0":
		t.Skip("URINGFS_E2E=0")
	}
	if testing.Short() {
		t.Skip("-short: the end-to-end test fetches modules and runs their test suites (about 15 s)")
	}
	host, err := exec.Command("go", "env", "GOHOSTARCH").Output()
	if err != nil {
		t.Fatalf("go env GOHOSTARCH: %v", err)
	}
	if h := strings.TrimSpace(string(host)); runtime.GOARCH != h {
		t.Skipf("GOARCH=%s on a %s host: the end-to-end test runs on the host's architecture only (URINGFS_E2E=1 forces it)", runtime.GOARCH, h)
	}
	for _, v := range []string{"URINGFS_BACKEND", "URINGFS_METADATA"} {
		if s := os.Getenv(v); s != "" {
			t.Skipf("%s=%s: the end-to-end test runs in the default configuration only (URINGFS_E2E=1 forces it)", v, s)
		}
	}
	if b, err := uringfs.Backend(); err != nil || b != "uring" {
		t.Skipf("io_uring is not available here (backend %q, %v; fallback reason: %v): the end-to-end test runs where the rewritten I/O can be shown on the ring (URINGFS_E2E=1 forces it)", b, err, uringfs.FallbackReason())
	}
}

// e2eRingEnv is the environment that makes the modules' suites run every
// uringfs call on the ring, or nothing where io_uring is not available (the
// test runs there only with URINGFS_E2E=1).
func e2eRingEnv(t *testing.T) []string {
	if b, err := uringfs.Backend(); err != nil || b != "uring" {
		t.Logf("io_uring is not available (backend %q, %v): the suites run on uringfs's fallback", b, err)
		return nil
	}
	return []string{"URINGFS_BACKEND=uring", "URINGFS_METADATA=ring"}
}

// e2eEnv is the environment of the go commands the test runs: the module
// proxy as the test started with it, and extra.
func e2eEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY", "GOFLAGS", "GOWORK", "URINGFS_BACKEND", "URINGFS_METADATA":
			continue
		}
		env = append(env, kv)
	}
	if e2eHaveGOPROXY {
		env = append(env, "GOPROXY="+e2eGOPROXY)
	}
	env = append(env, "GOFLAGS=-mod=mod", "GOWORK=off")
	return append(env, extra...)
}

// e2eGo runs go with args in dir and returns its combined output.
func e2eGo(dir string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// e2eNetworkError reports whether a go command's message says the module
// proxy or the checksum database could not be reached.
func e2eNetworkError(msg string) bool {
	for _, s := range []string{
		"dial tcp", "lookup ", "no such host", "connection refused", "connection reset",
		"i/o timeout", "network is unreachable", "TLS handshake", "proxyconnect",
		"disabled by GOPROXY=off", "Bad Gateway", "Service Unavailable", "Gateway Timeout",
		"context deadline exceeded", "unexpected EOF",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// e2eDownload fetches mod (path@version) into the module cache and returns
// its directory there. It skips the test when the proxy cannot be reached.
func e2eDownload(t *testing.T, mod string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module e2e.example\n\ngo 1.26.0\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	out, err := e2eGo(dir, e2eEnv(), "mod", "download", "-json", mod)
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal([]byte(out), &info); jerr != nil && err == nil {
		t.Fatalf("go mod download -json %s: %v\n%s", mod, jerr, out)
	}
	if err != nil || info.Error != "" || info.Dir == "" {
		msg := info.Error
		if msg == "" {
			msg = fmt.Sprintf("%v\n%s", err, out)
		}
		if e2eNetworkError(msg) {
			t.Skipf("the module proxy cannot be reached (GOPROXY=%q): go mod download %s: %s", e2eGOPROXY, mod, msg)
		}
		t.Fatalf("go mod download %s: %s", mod, msg)
	}
	return info.Dir
}

// e2eModuleTest rewrites a copy of the module in cache and runs its suite.
func e2eModuleTest(t *testing.T, m e2eModule, cache string, ringEnv []string) {
	t.Logf("%s %s: %s", m.path, m.version, m.what)
	step := time.Now()
	lap := func(what string) {
		t.Logf("%s: %v", what, time.Since(step).Round(time.Millisecond))
		step = time.Now()
	}

	// A writable copy (the module cache is read-only) requiring uringfs
	// from this repository.
	dir := filepath.Join(t.TempDir(), "m")
	if err := os.CopyFS(dir, os.DirFS(cache)); err != nil {
		t.Fatal(err)
	}
	env := e2eEnv()
	if out, err := e2eGo(dir, env, "mod", "edit", "-go=1.26.0",
		"-require=github.com/uringfs/uring@v0.0.0",
		"-replace=github.com/uringfs/uring="+repoRoot); err != nil {
		t.Fatalf("go mod edit: %v\n%s", err, out)
	}
	if out, err := e2eGo(dir, env, "mod", "tidy"); err != nil {
		if e2eNetworkError(out) {
			t.Skipf("the module proxy cannot be reached (GOPROXY=%q): go mod tidy: %s", e2eGOPROXY, out)
		}
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	lap("copy and go mod tidy")

	// The dry run lists each change and what stays on os.
	var stdout, stderr bytes.Buffer
	if rc := run(dir, []string{"-test", "./..."}, &stdout, &stderr); rc != 0 {
		t.Fatalf("uringfix -test ./...: exit %d\n%s%s", rc, stdout.String(), stderr.String())
	}
	report := stdout.String()
	var changes, libChanges int
	for _, line := range strings.Split(strings.TrimSpace(report), "\n") {
		if !strings.Contains(line, " -> uringfs.") {
			continue
		}
		changes++
		if file, _, _ := strings.Cut(line, ":"); !strings.HasSuffix(file, "_test.go") {
			libChanges++
		}
	}
	t.Logf("uringfix -test ./... (dry run): %d changes, %d outside _test.go files:\n%s", changes, libChanges, report)
	if libChanges == 0 {
		t.Fatal("no call site outside the _test.go files was rewritten")
	}
	lap("uringfix dry run")

	// The rewrite, built and vetted package by package by the tool.
	stdout.Reset()
	stderr.Reset()
	if rc := run(dir, []string{"-w", "-test", "./..."}, &stdout, &stderr); rc != 0 {
		t.Fatalf("uringfix -w -test ./...: exit %d\n%s%s", rc, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("uringfix -w wrote to stderr:\n%s", stderr.String())
	}
	lap("uringfix -w")

	// go list: which of the module's packages now import uringfs.
	out, err := e2eGo(dir, env, "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var importers []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		for i := 1; i < len(fields); i++ {
			imp := fields[i]
			if imp == uringfsPath {
				importers = append(importers, fields[0])
			}
		}
	}
	if len(importers) == 0 {
		t.Fatalf("no package of %s imports %s after the rewrite:\n%s", m.path, uringfsPath, out)
	}
	t.Logf("packages importing %s: %s", uringfsPath, strings.Join(importers, " "))

	// The module's own suite, with uringfs held to the ring.
	if m.why != "" {
		t.Logf("suite run with %s %s: %s", strings.Join(m.env, " "), strings.Join(m.testArgs, " "), m.why)
	}
	args := append([]string{"test", "-count=1"}, m.testArgs...)
	args = append(args, "./...")
	out, err = e2eGo(dir, e2eEnv(append(ringEnv, m.env...)...), args...)
	if err != nil {
		t.Fatalf("%s's suite fails after the rewrite (%s go %s): %v\n%s", m.path, strings.Join(ringEnv, " "), strings.Join(args, " "), err, out)
	}
	t.Logf("%s go %s:\n%s", strings.Join(ringEnv, " "), strings.Join(args, " "), out)
	lap("the module's suite")
}

// TestE2ENetworkError checks the messages that skip the end-to-end test
// (the go command's, for a refused connection, an unknown host and
// GOPROXY=off) and one that fails it (a version the proxy does not serve).
func TestE2ENetworkError(t *testing.T) {
	for msg, want := range map[string]bool{
		`m@v1.0.0: Get "http://127.0.0.1:1/m/@v/v1.0.0.info": dial tcp 127.0.0.1:1: connect: connection refused`:      true,
		`m@v1.0.0: Get "http://x.invalid/m/@v/v1.0.0.info": dial tcp: lookup x.invalid on 10.0.0.53:53: no such host`: true,
		`m@v1.0.0: module lookup disabled by GOPROXY=off`:                                                             true,
		"m@v9.9.9: reading https://proxy.example/m/@v/v9.9.9.info: 404 Not Found\n\tserver response: not found":       false,
	} {
		if got := e2eNetworkError(msg); got != want {
			t.Errorf("e2eNetworkError(%q) = %v, want %v", msg, got, want)
		}
	}
}
