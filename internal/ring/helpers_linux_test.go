package ring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/testkit"
)

// TestMain fails the run when the tests leave a file descriptor open (a
// ring fd, a registered eventfd or a pipe that Close or a cleanup missed)
// or a goroutine running (see testkit.Run).
func TestMain(m *testing.M) { testkit.Main(m) }

// newTestRing sets up a ring with entries SQ slots, closed when the test
// ends. Where the kernel or the sandbox refuses io_uring (seccomp EPERM,
// kernel.io_uring_disabled, ENOSYS) the test is skipped with the reason,
// unless URINGFS_BACKEND=uring says the ring is required.
func newTestRing(t *testing.T, entries uint32) *Ring {
	t.Helper()
	return newTestRingParams(t, entries, nil)
}

// newTestRingParams is newTestRing with explicit setup parameters.
func newTestRingParams(t *testing.T, entries uint32, p *Params) *Ring {
	t.Helper()
	r, err := New(entries, p)
	if err != nil {
		if errors.Is(err, ErrNotSupported) && os.Getenv("URINGFS_BACKEND") != "uring" {
			t.Skipf("io_uring is not available here: %v", err)
		}
		t.Fatalf("New(%d): %v", entries, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Ring.Close: %v", err)
		}
	})
	return r
}

var probeCache struct {
	sync.Once
	p   *Probe
	err error
}

// requireOps skips the test when the running kernel lacks one of ops.
func requireOps(t *testing.T, r *Ring, ops ...Opcode) {
	t.Helper()
	probeCache.Do(func() { probeCache.p, probeCache.err = r.Probe() })
	require.NoError(t, probeCache.err, "IORING_REGISTER_PROBE")
	for _, op := range ops {
		if !probeCache.p.Supported(op) {
			t.Skipf("kernel does not support IORING_OP_%s", op)
		}
	}
}

// requireFeature skips the test when the ring lacks an IORING_FEAT_ bit.
func requireFeature(t *testing.T, r *Ring, feat uint32, name string) {
	t.Helper()
	if r.Features()&feat == 0 {
		t.Skipf("kernel lacks IORING_FEAT_%s", name)
	}
}

// The kernel reads and writes through addresses stored in SQEs while the Go
// code is elsewhere; goroutine stacks move, so every buffer, path, iovec
// array and result struct handed to it must live on the heap. Returning the
// allocation from a function that is never inlined forces that.

//go:noinline
func heapBytes(n int) []byte { return make([]byte, n) }

//go:noinline
func heapNew[T any]() *T { return new(T) }

// cstr returns a heap-allocated NUL-terminated copy of s.
func cstr(t *testing.T, s string) *byte {
	t.Helper()
	p, err := unix.BytePtrFromString(s)
	require.NoError(t, err)
	return p
}

// collect submits everything prepared and gathers CQEs until at least n
// have arrived. It returns all it reaped, which may be more than n.
func collect(t *testing.T, r *Ring, n int) []CQE {
	t.Helper()
	var out []CQE
	for len(out) < n {
		_, err := r.SubmitAndWait(uint32(n - len(out)))
		if err == unix.EINTR {
			continue // what was consumed stays consumed; the rest goes again
		}
		require.NoError(t, err, "io_uring_enter")
		r.ReapCQEs(func(c *CQE) { out = append(out, *c) })
	}
	return out
}

// byUserData indexes CQEs by user_data, failing on duplicates.
func byUserData(t *testing.T, cqes []CQE) map[uint64]CQE {
	t.Helper()
	m := make(map[uint64]CQE, len(cqes))
	for _, c := range cqes {
		_, dup := m[c.UserData]
		require.False(t, dup, "two CQEs with user_data %#x", c.UserData)
		m[c.UserData] = c
	}
	return m
}

// do prepares one SQE with prep, submits it, waits for its completion and
// returns the CQE. The ring must be otherwise idle.
func do(t *testing.T, r *Ring, prep func(*SQE)) CQE {
	t.Helper()
	sqe := r.NextSQE()
	require.NotNil(t, sqe, "SQ full")
	prep(sqe)
	const ud = 0xfeedface
	sqe.UserData = ud
	cqes := collect(t, r, 1)
	require.Len(t, cqes, 1)
	require.Equal(t, uint64(ud), cqes[0].UserData)
	return cqes[0]
}

// requireRes fails unless the CQE result is want (a count, 0, or -errno).
func requireRes(t *testing.T, want int32, c CQE, what string) {
	t.Helper()
	if c.Res != want {
		t.Fatalf("%s: res = %s, want %s", what, resString(c.Res), resString(want))
	}
}

func resString(res int32) string {
	if res < 0 {
		return "-" + unix.ErrnoName(unix.Errno(-res)) + " (" + unix.Errno(-res).Error() + ")"
	}
	return itoa(int(res))
}

// tempFile creates a file in a fresh temp dir holding data and returns its
// path and an fd opened with flags, closed at cleanup.
func tempFile(t *testing.T, data []byte, flags int) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	return path, fd
}

// openDir returns a directory fd for dir, closed at cleanup.
func openDir(t *testing.T, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// emptyPipe returns a pipe with nothing in it. If a test that expects a
// read on it to be cancelled hangs instead, a watchdog writes to the pipe
// after a generous delay so the test fails on its assertions rather than
// hanging until the go test timeout. The delay never decides a result.
func emptyPipe(t *testing.T) (rfd, wfd int) {
	t.Helper()
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	var mu sync.Mutex
	closed := false
	watchdog := time.AfterFunc(30*time.Second, func() {
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			unix.Write(p[1], []byte("watchdog"))
		}
	})
	t.Cleanup(func() {
		watchdog.Stop()
		mu.Lock()
		closed = true
		mu.Unlock()
		unix.Close(p[0])
		unix.Close(p[1])
	})
	return p[0], p[1]
}

// keep marks memory the kernel may still use as reachable up to this point.
func keep(v ...any) { runtime.KeepAlive(v) }
