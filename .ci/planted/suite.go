// Running the suite: planting one bug into a fresh copy, checking that it
// compiles, and running go test in each configuration until one fails,
// reading the failing tests from go test's plain output (CI runs it without
// -json or -v, and so does this).

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

type runner struct {
	goBin   string
	work    string // the planted copy, at the same path for every bug
	tmp     string // TMPDIR of the tests
	configs []config
	logDir  string
	module  string
	sandbox *sandbox
}

// baseEnv is the environment of every go command: the caller's, without
// settings that would change which configuration runs.
func (r *runner) baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "URINGFS_") || strings.HasPrefix(kv, "TMPDIR=") || strings.HasPrefix(kv, "GOFLAGS=") {
			continue
		}
		env = append(env, kv)
	}
	// The copy has no .git, and the tests' temporary files go to a
	// directory of the run (removed with it).
	return append(env, "TMPDIR="+r.tmp, strings.TrimSpace("GOFLAGS="+os.Getenv("GOFLAGS")+" -buildvcs=false"))
}

// plant makes a fresh copy, applies b's edits, checks that it compiles and
// runs the configurations until one fails.
func (r *runner) plant(ctx context.Context, b *bug) *result {
	start := time.Now()
	res := &result{id: b.id}
	defer func() { res.took = time.Since(start) }()
	if err := os.RemoveAll(r.work); err != nil {
		res.broken = "removing the previous copy: " + err.Error()
		return res
	}
	os.RemoveAll(r.tmp)
	if err := copyTree(filepath.Join(filepath.Dir(r.work), "pristine"), r.work); err != nil {
		res.broken = "copying: " + err.Error()
		return res
	}
	// The tests' TMPDIR is what /tmp is: a test rerun as an unprivileged
	// user (the permission tests) must reach and use it.
	if err := os.MkdirAll(r.tmp, 0o755); err != nil {
		res.broken = err.Error()
		return res
	}
	os.Chmod(r.tmp, 0o1777)
	for _, e := range b.edits {
		if _, err := e.apply(r.work, true); err != nil {
			res.broken = err.Error()
			return res
		}
	}

	// Does it compile, tests included? -exec /bin/true builds every test
	// binary and runs none.
	var out bytes.Buffer
	cmd := r.sandbox.command(ctx, r.work, r.baseEnv(), r.goBin, "test", "-count=1", "-exec", "/bin/true", "./...")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runGroup(cmd); err != nil {
		if ctx.Err() != nil {
			return res
		}
		log := r.saveLog(b.id, "build", out.Bytes())
		res.broken = "does not compile: " + firstLines(out.String(), 3) + " [log " + log + "]"
		if code, ok := exitCode(err); ok && code == 125 {
			res.broken = "sandbox failed: " + firstLines(out.String(), 3)
		}
		return res
	}

	for _, c := range r.configs {
		fmt.Fprintf(os.Stderr, "  %s: %s ...", b.id, c.name)
		t0 := time.Now()
		failed, failures, log, err := r.runConfig(ctx, b.id, c)
		fmt.Fprintf(os.Stderr, " %s (%s)\n", map[bool]string{true: "FAIL", false: "ok"}[failed], round(time.Since(t0)))
		if ctx.Err() != nil {
			return res
		}
		if err != nil {
			res.broken = err.Error()
			return res
		}
		if failed {
			if !slices.ContainsFunc(failures, func(f string) bool { return !strings.HasSuffix(f, ": build failed") }) {
				res.broken = "does not compile in " + c.name + ": " + strings.Join(failures, ", ") + " [log " + log + "]"
				return res
			}
			res.caughtBy, res.failures, res.log = c.name, failures, log
			return res
		}
	}
	return res
}

var (
	failLine    = regexp.MustCompile(`^\s*--- FAIL: ([^\s:]+)`)
	pkgLine     = regexp.MustCompile(`^(ok|FAIL)\s+(\S+)(.*)$`)
	runningLine = regexp.MustCompile(`^\t\t(\S+) \(`)
)

// runConfig runs the suite in one configuration. It runs go test as CI
// does, without -json or -v (which change what the test binary sees: under
// -json, os.Stdout is not the one a package captured at init), and reads
// the failing tests from the "--- FAIL:" lines, each package's from the
// lines before its "ok" or "FAIL" line.
func (r *runner) runConfig(ctx context.Context, id string, c config) (failed bool, failures []string, logPath string, err error) {
	args := []string{r.goBin, "test", "-count=1", "-timeout", flagTimeout.String()}
	if c.race {
		args = append(args, "-race")
	}
	if *flagSkip != "" {
		args = append(args, "-skip", *flagSkip)
	}
	args = append(args, "./...")
	// Beyond go test's own -timeout, which does not cover compiling.
	cctx, cancel := context.WithTimeout(ctx, *flagTimeout+15*time.Minute)
	defer cancel()
	// With -failfast, the first package that fails ends the run: the bug
	// is caught, and a bug that hangs the loop need not wait out the
	// timeout of every package.
	sctx, stopEarly := context.WithCancel(cctx)
	defer stopEarly()
	cmd := r.sandbox.command(sctx, r.work, append(r.baseEnv(), c.env...), args...)
	out := &lineWatcher{}
	if *flagFailfast {
		out.onLine = func(ln string) {
			if strings.HasPrefix(ln, "FAIL\t") {
				out.stopped = true
				stopEarly()
			}
		}
	}
	cmd.Stdout, cmd.Stderr = out, out
	werr := runGroup(cmd)
	if code, ok := exitCode(werr); ok && code == 125 && strings.Contains(out.String(), "planted: sandbox") {
		return false, nil, "", fmt.Errorf("sandbox failed: %s", firstLines(out.String(), 3))
	}

	var tests, notes []string
	var pending []string // failing tests of the package whose output is being read
	timedOut, running := false, false
	for _, ln := range strings.Split(out.String(), "\n") {
		switch m := pkgLine.FindStringSubmatch(ln); {
		case m != nil:
			pkg := r.shortPkg(m[2])
			for _, t := range pending {
				tests = append(tests, pkg+"."+t)
			}
			if m[1] == "FAIL" {
				switch {
				case strings.Contains(m[3], "[build failed]") || strings.Contains(m[3], "[setup failed]"):
					notes = append(notes, pkg+": build failed")
				case timedOut:
					notes = append(notes, pkg+": timed out")
				case len(pending) == 0:
					notes = append(notes, pkg+": failed outside any test (TestMain, a panic, an exit)")
				}
			}
			pending, timedOut, running = nil, false, false
		case strings.HasPrefix(ln, "panic: test timed out"):
			timedOut = true
		case strings.TrimSpace(ln) == "running tests:":
			running = true
		case running && runningLine.MatchString(ln):
			pending = append(pending, runningLine.FindStringSubmatch(ln)[1]+" (timed out)")
		default:
			running = false
			if m := failLine.FindStringSubmatch(ln); m != nil {
				pending = append(pending, m[1])
			}
		}
	}
	if !out.stopped && cctx.Err() != nil && ctx.Err() == nil {
		notes = append(notes, "go test killed after "+(*flagTimeout+15*time.Minute).String())
	}
	failed = werr != nil || len(tests) > 0 || len(notes) > 0
	if !failed {
		return false, nil, "", nil
	}
	// A failed subtest fails its parent: name only the innermost.
	slices.Sort(tests)
	tests = slices.Compact(tests)
	for _, n := range tests {
		if !slices.ContainsFunc(tests, func(m string) bool { return strings.HasPrefix(m, n+"/") }) {
			failures = append(failures, n)
		}
	}
	failures = append(notes, failures...)
	if len(failures) == 0 {
		failures = []string{"go test failed: " + firstLines(out.String(), 2)}
	}
	logPath = r.saveLog(id, c.name, out.Bytes())
	return true, failures, logPath, nil
}

// lineWatcher collects output and calls onLine with each complete line.
type lineWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	onLine  func(string)
	stopped bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.onLine == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.onLine(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWatcher) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }
func (w *lineWatcher) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

func (r *runner) shortPkg(p string) string {
	if p == r.module {
		return filepath.Base(r.module)
	}
	return strings.TrimPrefix(p, r.module+"/")
}

func (r *runner) saveLog(id, what string, data []byte) string {
	p := filepath.Join(r.logDir, id+"."+what+".log")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	return p
}

func exitCode(err error) (int, bool) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), true
	}
	return 0, false
}

func firstLines(s string, n int) string {
	var out []string
	for _, ln := range strings.Split(strings.TrimSpace(s), "\n") {
		if ln = strings.TrimSpace(ln); ln != "" && !strings.HasPrefix(ln, "#") {
			out = append(out, ln)
		}
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, " | ")
}
