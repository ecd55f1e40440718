//go:build linux

package sched_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/sched"
)

// childEnv marks a re-executed test binary (see default_test.go). The child
// builds the process-wide Default loop, which lives until exit by design, so
// it skips the leak check.
const childEnv = "SCHED_TEST_CHILD"

// TestMain fails the run when a test leaves a goroutine of this package
// running or a file descriptor open. Both checks compare against a baseline
// taken before any test ran.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	// The runtime opens its netpoller (an epoll fd and a wake-up fd) on the
	// first pollable file and keeps it for the life of the process. Opening a
	// pipe first makes that part of the baseline, so the fd count needs no
	// tolerance at all.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	fdsBefore := openFds()
	code := m.Run()
	removeBenchFiles()
	if code == 0 {
		if err := checkLeaks(fdsBefore); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks waits a little for goroutines that are on their way out (a
// worker closes its done channel before returning) and then reports what is
// left.
func checkLeaks(fdsBefore map[string]string) error {
	var gs []string
	var fds []string
	start := time.Now()
	for deadline := start.Add(5 * time.Second); ; {
		gs = leakedGoroutines()
		fds = newFds(fdsBefore)
		if len(gs) == 0 && len(fds) == 0 {
			if d := time.Since(start); d > time.Second {
				fmt.Fprintf(os.Stderr, "leak check: clean after %v\n", d)
			}
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		runtime.GC() // lets finalizers close anything unreachable
		time.Sleep(20 * time.Millisecond)
	}
	var b strings.Builder
	if len(gs) > 0 {
		fmt.Fprintf(&b, "leak check: %d goroutine(s) of internal/sched still running:\n\n%s\n", len(gs), strings.Join(gs, "\n\n"))
	}
	if len(fds) > 0 {
		fmt.Fprintf(&b, "leak check: %d file descriptor(s) opened and not closed:\n  %s\n", len(fds), strings.Join(fds, "\n  "))
	}
	return errors.New(b.String())
}

// leakedGoroutines returns the stacks of goroutines that run code of this
// package or were started by it, except the one running TestMain.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "uring/internal/sched") {
			continue
		}
		if strings.Contains(g, "sched_test.TestMain") || strings.Contains(g, "sched_test.leakedGoroutines") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// openFds maps each open descriptor number to what it refers to.
func openFds() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory fd of ReadDir itself, already gone
		}
		m[e.Name()] = target
	}
	return m
}

func newFds(before map[string]string) []string {
	var out []string
	for fd, target := range openFds() {
		if old, ok := before[fd]; !ok || old != target {
			out = append(out, fd+" -> "+target)
		}
	}
	sort.Strings(out)
	return out
}

// syscallForced reports whether the run forces the syscall backend, in
// which case the io_uring variants are skipped: that run exists to check the
// fallback alone, as under a seccomp profile that refuses io_uring.
func syscallForced() bool { return os.Getenv("URINGFS_BACKEND") == sched.BackendSyscall }

// newLoop builds a loop on backend b with cfg, closes it when the test ends
// and skips the test when io_uring is refused.
func newLoop(t testing.TB, b string, cfg sched.Config) *sched.Loop {
	t.Helper()
	cfg.Backend = b
	if b == sched.BackendURing && syscallForced() {
		t.Skip("URINGFS_BACKEND=syscall: io_uring variant skipped")
	}
	l, err := sched.New(cfg)
	if err != nil {
		if b == sched.BackendURing && errors.Is(err, sched.ErrUnavailable) {
			t.Skipf("io_uring refused: %v", err)
		}
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	if l.Backend() != b {
		t.Fatalf("New(%+v) built a %q loop", cfg, l.Backend())
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

var backendNames = []string{sched.BackendURing, sched.BackendSyscall}

// eachBackend runs fn as a subtest on a fresh loop of each backend.
func eachBackend(t *testing.T, cfg sched.Config, fn func(t *testing.T, l *sched.Loop)) {
	t.Helper()
	for _, b := range backendNames {
		t.Run(b, func(t *testing.T) {
			fn(t, newLoop(t, b, cfg))
		})
	}
}

// hangDeadline bounds each test that could deadlock (testkit.Deadline): far
// above what any of them takes under -race or qemu, far below the package
// timeout, so a hang fails with its own name and stacks.
const hangDeadline = 3 * time.Minute
