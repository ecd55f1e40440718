//go:build linux

package sched_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// childEnv marks a re-executed test binary (see default_test.go). The child
// builds the process-wide Default loop, which lives until exit by design, so
// it skips the leak check.
const childEnv = "SCHED_TEST_CHILD"

// TestMain fails the run when a test leaves a goroutine running or a file
// descriptor open (see testkit.Run), and removes the benchmarks' files.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	code := testkit.Run(m)
	removeBenchFiles()
	os.Exit(code)
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
