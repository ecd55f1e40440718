//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
)

// TestDefaultChild is the body run in a re-executed test binary: Default is
// built once per process, so each environment needs its own process.
func TestDefaultChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as a child of TestDefaultEnv")
	}
	l, err := sched.Default()
	l2, err2 := sched.Default()
	if l != l2 || err != err2 {
		fmt.Println("RESULT not-once")
		return
	}
	if err != nil {
		fmt.Printf("RESULT err unavailable=%v %v\n", errors.Is(err, sched.ErrUnavailable), err)
		return
	}
	if err := l.Nop(bg); err != nil {
		fmt.Printf("RESULT nop-failed %v\n", err)
		return
	}
	fmt.Printf("RESULT backend=%s rings=%d/%d\n", l.Backend(), l.Rings(), l.MaxRings())
}

func TestDefaultEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	uringOK := true
	if l, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1}); err != nil {
		uringOK = false
	} else {
		l.Close()
	}
	procs := runtime.GOMAXPROCS(0)
	cases := []struct {
		backend, rings string
		want           string // the RESULT line, or its prefix ending in a space
	}{
		{"syscall", "", "backend=syscall rings=0/0"},
		// A default loop sets up one ring, and more only under load.
		{"uring", "", fmt.Sprintf("backend=uring rings=1/%d", procs)},
		{"uring", "3", "backend=uring rings=3/3"},
		{"", "1", "backend=uring rings=1/1"},
		{"bogus", "", "err unavailable=false "},
		{"", "0", "err unavailable=false "},
		{"", "x", "err unavailable=false "},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("BACKEND=%q,RINGS=%q", c.backend, c.rings), func(t *testing.T) {
			want := c.want
			if !uringOK && strings.HasPrefix(want, "backend=uring") {
				if c.backend == "uring" {
					want = "err unavailable=true "
				} else {
					want = "backend=syscall rings=0/0"
				}
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE=atexit_sleep_ms=0", "URINGFS_BACKEND="+c.backend, "URINGFS_RINGS="+c.rings)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var got string
			for _, line := range strings.Split(string(out), "\n") {
				if s, ok := strings.CutPrefix(line, "RESULT "); ok {
					got = s
				}
			}
			if got != want && !(strings.HasSuffix(want, " ") && strings.HasPrefix(got, want)) {
				t.Errorf("Default() with URINGFS_BACKEND=%q URINGFS_RINGS=%q: %q, want %q", c.backend, c.rings, got, want)
			}
		})
	}
}

// TestNewConfig checks what New accepts, the config honoured and
// the fallback reason.
func TestNewConfig(t *testing.T) {
	if _, err := sched.New(sched.Config{Backend: "bogus"}); err == nil {
		t.Errorf("New accepted backend \"bogus\"")
	}
	s := newLoop(t, sched.BackendSyscall, sched.Config{})
	if s.FallbackReason() == nil || s.Rings() != 0 || s.Supported(ring.OpRead) {
		t.Errorf("syscall loop: reason %v, rings %d, supports READ %v", s.FallbackReason(), s.Rings(), s.Supported(ring.OpRead))
	}
	u := newLoop(t, sched.BackendURing, sched.Config{Rings: 3, Entries: 8})
	if u.FallbackReason() != nil || u.Rings() != 3 || !u.Supported(ring.OpRead) {
		t.Errorf("uring loop: reason %v, rings %d, supports READ %v", u.FallbackReason(), u.Rings(), u.Supported(ring.OpRead))
	}
	// The default backend is io_uring when it is available.
	d, err := sched.New(sched.Config{Rings: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Backend() == sched.BackendSyscall && d.FallbackReason() == nil {
		t.Errorf("fell back without a reason")
	}
	t.Logf("default backend: %s (%v)", d.Backend(), d.FallbackReason())
}

// TestCounters: a lone read of a cached file completes during its own
// submission (no park); under concurrency, batching is logged only.
func TestCounters(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, pattern(1<<16, 0))
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	buf := make([]byte, 4096)
	l.Pread(bg, fd, buf, 0) // warm the cache
	before := l.Counters()
	const n = 10
	for i := range n {
		if _, err := l.Pread(bg, fd, buf, int64(i)*4096); err != nil {
			t.Fatal(err)
		}
	}
	after := l.Counters()
	inline, parks := after.Inline-before.Inline, after.Parks-before.Parks
	if after.Ops-before.Ops != n || inline+parks != n {
		t.Errorf("%d reads counted as ops %d, inline %d, parks %d", n, after.Ops-before.Ops, inline, parks)
	}
	if inline == 0 {
		t.Errorf("no hot-cache read completed inline: %+v", after)
	}
	if after.Wakeups != before.Wakeups {
		t.Logf("worker woke %d times during lone reads", after.Wakeups-before.Wakeups)
	}

	before = l.Counters()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 4096)
			for i := range 50 {
				l.Pread(bg, fd, b, int64((g+i)%16)*4096)
			}
		}()
	}
	wg.Wait()
	after = l.Counters()
	sqes, enters := after.SQEs-before.SQEs, after.Enters-before.Enters
	t.Logf("32 goroutines: %d SQEs in %d enters (%.2f per enter); inline %d parks %d wakeups %d",
		sqes, enters, float64(sqes)/float64(max(enters, 1)), after.Inline-before.Inline, after.Parks-before.Parks, after.Wakeups-before.Wakeups)
}

// TestCancelChainTinyRing cancels chains that need more cancel requests
// than a 4-entry ring has cancel slots (one), while the chain's first op
// races the cancellation by receiving data.
func TestCancelChainTinyRing(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 4})
	ps := newPipes(t, 4)
	done := runAll(4, func(g int) {
		for i := range 100 {
			ctx, cancel := context.WithCancel(bg)
			buf := make([]byte, 8)
			ops := []*sched.Op{{Code: ring.OpRead, Fd: ps.r[g], Buf: buf, Off: -1}, {Code: ring.OpNop}, {Code: ring.OpNop}}
			racer := make(chan struct{})
			go func() {
				defer close(racer)
				if i%2 == 0 {
					ps.write(g, 1)
				}
				cancel()
			}()
			err := l.Chain(ctx, ops)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("chain: %v", err)
			}
			// A chain whose later ops were cancelled reports the context
			// error even when its read took data: the results are in the ops.
			if ops[0].Res > 0 {
				ps.read[g].Add(int64(ops[0].Res))
				if buf[0] != pipeByte(g) {
					t.Errorf("pipe %d: wrong data %v", g, buf)
				}
			}
			cancel()
			<-racer
		}
	})
	hangGuard(t, "cancelling chains on a 4-entry ring", done)
	ps.closeWriters()
	ps.checkConservation(t)
	t.Logf("%+v", l.Counters())
}

// TestCancelFd: CancelFd ends reads blocked on a descriptor and leaves
// other descriptors alone.
func TestCancelFd(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 2, Entries: 16}, func(t *testing.T, l *sched.Loop) {
		ps := newPipes(t, 2)
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := l.Pread(bg, ps.r[0], make([]byte, 8), -1)
				errs <- err
			}()
		}
		other := make(chan error, 1)
		go func() {
			_, err := l.Pread(bg, ps.r[1], make([]byte, 8), -1)
			other <- err
		}()
		if l.Backend() == sched.BackendSyscall {
			l.CancelFd(ps.r[0]) // a no-op there
			ps.write(0, 4)
			ps.write(1, 1)
			ps.closeWriters()
			for range 4 {
				if err := <-errs; err != nil {
					t.Errorf("read: %v", err)
				}
			}
			<-other
			return
		}
		for l.Counters().SQEs < 5 {
			time.Sleep(time.Millisecond)
		}
		l.CancelFd(ps.r[0])
		for range 4 {
			var err error
			select {
			case err = <-errs:
			case <-time.After(30 * time.Second):
				t.Fatal("CancelFd did not end a blocked read")
			}
			if !errors.Is(err, unix.ECANCELED) && !errors.Is(err, unix.EINTR) {
				t.Errorf("cancelled read: %v, want ECANCELED", err)
			}
		}
		select {
		case err := <-other:
			t.Errorf("read on another fd ended: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		ps.write(1, 1)
		if err := <-other; err != nil {
			t.Errorf("read on the other pipe: %v", err)
		}
	})
}

// TestCachedRW checks PreadCached and PwriteCached against os on hot and
// cold data, both backends.
func TestCachedRW(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1}, func(t *testing.T, l *sched.Loop) {
		p := filepath.Join(t.TempDir(), "f")
		data := pattern(1<<20, 2)
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDWR, 0)
		unix.Fsync(fd)
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED) // cold, where the fs allows
		for _, off := range []int64{0, 500000, 1<<20 - 100, 1 << 20, 2 << 20} {
			got := make([]byte, 4096)
			n, err := l.PreadCached(bg, fd, got, off, nil)
			want := data[min(off, int64(len(data))):min(off+4096, int64(len(data)))]
			// A partly cached range may come back short; what came must match.
			if err != nil || n > len(want) || !bytes.Equal(got[:n], want[:n]) || (len(want) > 0 && n == 0) {
				t.Errorf("PreadCached(off %d) = %d, %v; want up to %d bytes", off, n, err, len(want))
			}
		}
		w := pattern(3000, 77)
		n, _, err := l.PwriteCached(bg, fd, w, 100)
		if err != nil || n != len(w) {
			t.Fatalf("PwriteCached = %d, %v", n, err)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got[100:3100], w) {
			t.Errorf("PwriteCached data not in the file")
		}
		dfd := openFd(t, l, filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		_, err = l.PreadCached(bg, dfd, make([]byte, 10), 0, nil)
		wantErrno(t, "PreadCached(dir)", err, unix.EISDIR)
		ro := openFd(t, l, p, unix.O_RDONLY, 0)
		_, _, err = l.PwriteCached(bg, ro, []byte("x"), 0)
		wantErrno(t, "PwriteCached(O_RDONLY)", err, unix.EBADF)
		t.Logf("%s: %+v", l.Backend(), l.Counters())
	})
}
