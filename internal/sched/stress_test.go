//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// hangGuard fails the test with every goroutine's stack if done is not
// closed in time. It exists so that a deadlock shows where it is instead of
// eating the whole test timeout; the limit is far above what the work needs,
// so it does not turn slowness into failure.
func hangGuard(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		buf := make([]byte, 8<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s: no progress after 45s (deadlock?)\n%s", what, buf)
	}
}

func runAll(n int, fn func(i int)) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// TestManyGoroutines runs 10,000 goroutines of mixed reads, writes, stats
// and nops against a few files and checks every byte.
func TestManyGoroutines(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{}, func(t *testing.T, l *sched.Loop) {
		dir := t.TempDir()
		const nFiles, fileSize = 4, 64 << 10
		var roFds [nFiles]int
		var contents [nFiles][]byte
		for i := range nFiles {
			contents[i] = pattern(fileSize, byte(i*31))
			p := filepath.Join(dir, fmt.Sprintf("ro%d", i))
			writeFile(t, p, contents[i])
			roFds[i] = openFd(t, l, p, unix.O_RDONLY, 0)
		}
		const G, blk = 10000, 512
		scratch := filepath.Join(dir, "scratch")
		wfd := openFd(t, l, scratch, unix.O_RDWR|unix.O_CREAT, 0o644)

		var failures atomic.Int32
		fail := func(format string, args ...any) {
			if failures.Add(1) <= 10 {
				t.Errorf(format, args...)
			}
		}
		done := runAll(G, func(g int) {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			mine := pattern(blk, byte(g))
			for k := range 4 {
				switch (g + k) % 4 {
				case 0:
					f := rng.IntN(nFiles)
					off := rng.IntN(fileSize - blk)
					buf := make([]byte, blk)
					n, err := l.Pread(bg, roFds[f], buf, int64(off))
					if err != nil || n != blk || !bytes.Equal(buf, contents[f][off:off+blk]) {
						fail("g%d: read file %d at %d: %d, %v, data ok %v", g, f, off, n, err, bytes.Equal(buf, contents[f][off:off+blk]))
					}
				case 1:
					// Each goroutine owns one block of the scratch file.
					off := int64(g) * blk
					if n, err := l.Pwrite(bg, wfd, mine, off); err != nil || n != blk {
						fail("g%d: write: %d, %v", g, n, err)
						continue
					}
					buf := make([]byte, blk)
					if n, err := l.Pread(bg, wfd, buf, off); err != nil || n != blk || !bytes.Equal(buf, mine) {
						fail("g%d: read back own block: %d, %v", g, n, err)
					}
				case 2:
					var st unix.Statx_t
					f := rng.IntN(nFiles)
					if err := l.Statx(bg, roFds[f], "", unix.AT_EMPTY_PATH, unix.STATX_SIZE, &st); err != nil || st.Size != fileSize {
						fail("g%d: statx: size %d, %v", g, st.Size, err)
					}
				case 3:
					if err := l.Nop(bg); err != nil {
						fail("g%d: nop: %v", g, err)
					}
				}
			}
		})
		hangGuard(t, "10k goroutines", done)
		// Every block of the scratch file holds what its owner wrote.
		got, err := os.ReadFile(scratch)
		if err != nil {
			t.Fatal(err)
		}
		for g := range G {
			// Every goroutine passes through all four cases, so all wrote.
			if !bytes.Equal(got[g*blk:(g+1)*blk], pattern(blk, byte(g))) {
				t.Fatalf("scratch block %d holds wrong data", g)
			}
		}
		t.Logf("%s: %+v", l.Backend(), l.Counters())
	})
}

// TestBackpressure uses a 4-entry ring, so submitters must park for free
// slots; all complete and the parking is counted.
func TestBackpressure(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 4})
	p := filepath.Join(t.TempDir(), "f")
	data := pattern(1<<16, 5)
	writeFile(t, p, data)
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	var failures atomic.Int32
	done := runAll(200, func(g int) {
		for k := range 20 {
			off := ((g*20 + k) * 97) % (len(data) - 256)
			buf := make([]byte, 256)
			n, err := l.Pread(bg, fd, buf, int64(off))
			if err != nil || n != 256 || !bytes.Equal(buf, data[off:off+256]) {
				if failures.Add(1) <= 10 {
					t.Errorf("read at %d: %d, %v", off, n, err)
				}
			}
			if k%5 == 0 {
				if err := l.Nop(bg); err != nil {
					t.Errorf("nop: %v", err)
				}
			}
		}
	})
	hangGuard(t, "backpressure", done)
	// Whether these reads ever wait for a slot depends on scheduling: on one
	// CPU every read completes inline before the next goroutine runs.
	// TestBackpressureBlocked makes the wait certain.
	t.Logf("%+v", l.Counters())
}

// TestBackpressureBlocked fills every slot of a 4-entry ring with reads that
// cannot complete (empty pipes), so further submitters must park for a
// slot; writing to the pipes then lets every read finish with its byte.
func TestBackpressureBlocked(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 4})
	const readers = 8 // more than the ring's op slots
	ps := newPipes(t, readers)
	got := make([]byte, readers)
	errs := make([]error, readers)
	done := runAll(readers, func(g int) {
		buf := make([]byte, 1)
		var n int
		n, errs[g] = l.Pread(bg, ps.r[g], buf, -1)
		if n == 1 {
			got[g] = buf[0]
		}
	})
	// Wait (bounded) until the readers beyond the slots are parked.
	deadline := time.Now().Add(30 * time.Second)
	for l.Counters().SlotWaits == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if w := l.Counters().SlotWaits; w == 0 {
		t.Errorf("%d blocked readers on a 4-entry ring: no submitter waited for a slot", readers)
	}
	for g := range readers {
		if _, err := unix.Write(ps.w[g], []byte{byte('a' + g)}); err != nil {
			t.Fatal(err)
		}
	}
	hangGuard(t, "blocked readers", done)
	for g := range readers {
		if errs[g] != nil || got[g] != byte('a'+g) {
			t.Errorf("reader %d: %q, %v", g, got[g], errs[g])
		}
	}
}

// TestBackpressureChains mixes chains with single ops on a tiny ring, where
// a chain needs several slots at once.
func TestBackpressureChains(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 4})
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, pattern(4096, 1))
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	done := runAll(100, func(g int) {
		for range 20 {
			buf := make([]byte, 100)
			ops := []*sched.Op{{Code: ring.OpNop}, {Code: ring.OpRead, Fd: fd, Buf: buf, Off: 0}, {Code: ring.OpNop}}
			if g%2 == 0 {
				ops = ops[1:2]
			}
			if err := l.Chain(bg, ops); err != nil {
				t.Errorf("chain: %v", err)
				return
			}
			for _, op := range ops {
				if op.Res < 0 {
					t.Errorf("op %v: %v", op.Code, op.Err())
				}
			}
		}
	})
	hangGuard(t, "chains on a tiny ring", done)
	// A chain longer than the ring's slots is refused, not a hang.
	var long []*sched.Op
	for range 16 {
		long = append(long, &sched.Op{Code: ring.OpNop})
	}
	if err := l.Chain(bg, long); err == nil {
		t.Errorf("a 16-op chain on a 4-entry ring was accepted")
	}
}

// pipeSet is a set of pipes whose read ends block (never returning by
// themselves) and whose write ends are non-blocking, with a record of every
// byte written so reads can be accounted for.
type pipeSet struct {
	r, w    []int
	written []atomic.Int64
	read    []atomic.Int64
}

func newPipes(t *testing.T, n int) *pipeSet {
	ps := &pipeSet{r: make([]int, n), w: make([]int, n), written: make([]atomic.Int64, n), read: make([]atomic.Int64, n)}
	for i := range n {
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(fds[1], true); err != nil {
			t.Fatal(err)
		}
		ps.r[i], ps.w[i] = fds[0], fds[1]
	}
	t.Cleanup(func() {
		for i := range n {
			unix.Close(ps.r[i])
			if ps.w[i] >= 0 {
				unix.Close(ps.w[i])
			}
		}
	})
	return ps
}

// pipeByte is what pipe i carries; it is never the sentinel.
func pipeByte(i int) byte { return byte(i % 200) }

func (ps *pipeSet) write(i, n int) {
	b := bytes.Repeat([]byte{pipeByte(i)}, n)
	if k, err := unix.Write(ps.w[i], b); err == nil {
		ps.written[i].Add(int64(k))
	}
}

// closeWriters closes the write ends: blocked reads return end of file.
func (ps *pipeSet) closeWriters() {
	for i, w := range ps.w {
		if w >= 0 {
			unix.Close(w)
			ps.w[i] = -1
		}
	}
}

// checkConservation drains what nobody read (the writers must be closed)
// and checks that every byte written was read exactly once: a cancelled read
// that consumed data without reporting it would break the count.
func (ps *pipeSet) checkConservation(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<16)
	for i, r := range ps.r {
		var left int64
		for {
			n, err := unix.Read(r, buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n == 0 {
				break
			}
			left += int64(n)
		}
		if w, rd := ps.written[i].Load(), ps.read[i].Load(); w != rd+left {
			t.Errorf("pipe %d: %d bytes written, %d read by calls + %d left over", i, w, rd, left)
		}
	}
}

const sentinel = 0xEE

// TestCancelStorm cancels contexts at random moments under reads from
// pipes (which only return when data arrives or the read is cancelled) and
// from files. Every call returns; a call reports a context error only if its
// op did not complete; data is never wrong or lost; and a buffer is never
// written after its call returned.
func TestCancelStorm(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{Entries: 64}, func(t *testing.T, l *sched.Loop) {
		const nPipes, G, K, blk = 16, 200, 25, 256
		ps := newPipes(t, nPipes)
		p := filepath.Join(t.TempDir(), "f")
		data := pattern(1<<16, 3)
		for i := range data {
			if data[i] == sentinel {
				data[i] = 0
			}
		}
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDONLY, 0)

		// A writer keeps feeding random pipes, so reads that are not
		// cancelled (all of them on the syscall backend, which cannot
		// cancel a blocked read) finish too.
		stopWriter := make(chan struct{})
		writerDone := make(chan struct{})
		go func() {
			defer close(writerDone)
			rng := rand.New(rand.NewPCG(1, 2))
			for {
				select {
				case <-stopWriter:
					return
				default:
				}
				ps.write(rng.IntN(nPipes), 1+rng.IntN(64))
				time.Sleep(50 * time.Microsecond)
			}
		}()

		var (
			mu      sync.Mutex
			retired [][]byte // buffers of returned calls, filled with the sentinel
			stats   = map[string]int{}
		)
		var failures atomic.Int32
		fail := func(format string, args ...any) {
			if failures.Add(1) <= 10 {
				t.Errorf(format, args...)
			}
		}
		done := runAll(G, func(g int) {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			var mine [][]byte
			local := map[string]int{}
			for range K {
				var ctx context.Context
				var cancel context.CancelFunc
				switch rng.IntN(4) {
				case 0:
					ctx, cancel = context.WithCancel(bg)
					cancel() // already cancelled
				case 1:
					ctx, cancel = context.WithTimeout(bg, time.Duration(rng.IntN(300))*time.Microsecond)
				default:
					ctx, cancel = context.WithCancel(bg)
					tm := time.AfterFunc(time.Duration(rng.IntN(500))*time.Microsecond, cancel)
					defer tm.Stop()
				}
				buf := make([]byte, blk)
				if rng.IntN(2) == 0 {
					i := rng.IntN(nPipes)
					op := &sched.Op{Code: ring.OpRead, Fd: ps.r[i], Buf: buf, Off: -1}
					err := l.Do(ctx, op)
					switch {
					case err == nil:
						if op.Res < 0 {
							fail("pipe read: result %v with a nil error", op.Err())
							break
						}
						ps.read[i].Add(int64(op.Res))
						if !bytes.Equal(buf[:op.Res], bytes.Repeat([]byte{pipeByte(i)}, int(op.Res))) {
							fail("pipe %d: read wrong data %v", i, buf[:op.Res])
						}
						local["pipe ok"]++
					case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
						// Res is 0 when the call never reached the kernel.
						if op.Res > 0 {
							fail("pipe read returned %v although it read %d bytes", err, op.Res)
							ps.read[i].Add(int64(op.Res))
						}
						local["pipe cancelled"]++
					default:
						fail("pipe read: unexpected error %v (res %d)", err, op.Res)
					}
				} else {
					off := rng.IntN(len(data) - blk)
					n, err := l.Pread(ctx, fd, buf, int64(off))
					switch {
					case err == nil:
						if n != blk || !bytes.Equal(buf, data[off:off+blk]) {
							fail("file read at %d: %d bytes, data ok %v", off, n, bytes.Equal(buf[:n], data[off:off+n]))
						}
						local["file ok"]++
					case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
						local["file cancelled"]++
					default:
						fail("file read: unexpected error %v", err)
					}
				}
				cancel()
				// From here on nobody may write into buf.
				for j := range buf {
					buf[j] = sentinel
				}
				mine = append(mine, buf)
			}
			mu.Lock()
			retired = append(retired, mine...)
			for k, v := range local {
				stats[k] += v
			}
			mu.Unlock()
		})
		hangGuard(t, "cancel storm", done)
		close(stopWriter)
		<-writerDone
		// Let any stray kernel write land before looking.
		if err := l.Nop(bg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		for k, b := range retired {
			if !bytes.Equal(b, bytes.Repeat([]byte{sentinel}, len(b))) {
				t.Fatalf("buffer %d was written after its call returned: %v", k, b[:32])
			}
		}
		ps.closeWriters()
		ps.checkConservation(t)
		t.Logf("%s: %v; %+v", l.Backend(), stats, l.Counters())
	})
}

// TestCloseInFlight closes a loop with 1,000 operations in flight: reads
// blocked on pipes and file reads in a loop. Close returns, every call
// returns, later calls get ErrClosed and nothing leaks (TestMain checks).
func TestCloseInFlight(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	for _, c := range []struct {
		name string
		cfg  sched.Config
	}{
		{"roomy", sched.Config{Rings: 2, Entries: 1024}}, // every op holds a slot
		{"tight", sched.Config{Rings: 2, Entries: 64}},   // most wait for one
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, b := range backendNames {
				if b == sched.BackendSyscall && c.name == "tight" {
					continue // no slots on the syscall backend: same as roomy
				}
				t.Run(b, func(t *testing.T) { testCloseInFlight(t, b, c.cfg) })
			}
		})
	}
}

func testCloseInFlight(t *testing.T, backend string, cfg sched.Config) {
	cfg.Backend = backend
	if backend == sched.BackendURing && syscallForced() {
		t.Skip("URINGFS_BACKEND=syscall: io_uring variant skipped")
	}
	l, err := sched.New(cfg)
	if err != nil {
		if errors.Is(err, sched.ErrUnavailable) {
			t.Skipf("io_uring refused: %v", err)
		}
		t.Fatal(err)
	}
	const nPipes, total = 20, 1000
	const pipeReaders = 500
	const fileReaders = total - pipeReaders
	ps := newPipes(t, nPipes)
	p := filepath.Join(t.TempDir(), "f")
	data := pattern(1<<16, 8)
	writeFile(t, p, data)
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	okCloseErr := func(err error) bool {
		var errno syscall.Errno
		return errors.Is(err, sched.ErrClosed) || errors.Is(err, context.Canceled) ||
			(errors.As(err, &errno) && (errno == unix.ECANCELED || errno == unix.EINTR))
	}
	var started, fileRounds atomic.Int32
	var failures atomic.Int32
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	done := runAll(total, func(g int) {
		buf := make([]byte, 128)
		if g < pipeReaders {
			started.Add(1)
			i := g % nPipes
			n, err := l.Pread(bg, ps.r[i], buf, -1)
			if err == nil {
				ps.read[i].Add(int64(n))
				if n != 0 && buf[0] != pipeByte(i) {
					fail("pipe %d: wrong data", i)
				}
			} else if !okCloseErr(err) {
				fail("blocked pipe read ended with %v", err)
			}
			return
		}
		started.Add(1)
		for {
			off := (g * 131) % (len(data) - 128)
			n, err := l.Pread(bg, fd, buf, int64(off))
			if err != nil {
				if !okCloseErr(err) {
					fail("file read ended with %v", err)
				}
				return
			}
			fileRounds.Add(1)
			if n != 128 || !bytes.Equal(buf, data[off:off+128]) {
				fail("file read: %d bytes, wrong data", n)
				return
			}
			// Without a pause, 900 goroutines re-reading a cached file
			// starve the rest of the test of CPU on two cores.
			time.Sleep(100 * time.Microsecond)
		}
	})
	// Wait until every goroutine is inside the loop (the pipe readers may
	// still be on their way into the ring; that is part of the test).
	t0 := time.Now()
	for started.Load() < pipeReaders+fileReaders {
		time.Sleep(time.Millisecond)
	}
	for l.Counters().Ops < pipeReaders {
		time.Sleep(time.Millisecond)
	}
	t.Logf("all calls inside after %v", time.Since(t0))
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()

	if backend == sched.BackendSyscall {
		// The syscall backend cannot interrupt a read blocked in the kernel:
		// Close waits for it. Meanwhile new calls are refused.
		for {
			if err := l.Nop(bg); errors.Is(err, sched.ErrClosed) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		ps.closeWriters()
	}
	closeDone := make(chan struct{})
	var closeErr error
	go func() { closeErr = <-closed; close(closeDone) }()
	hangGuard(t, "Close with 1,000 ops in flight", closeDone)
	if closeErr != nil {
		t.Errorf("Close: %v", closeErr)
	}
	hangGuard(t, "calls after Close returned", done)
	if err := l.Nop(bg); !errors.Is(err, sched.ErrClosed) {
		t.Errorf("Nop after Close: %v, want ErrClosed", err)
	}
	if _, err := l.Pread(bg, fd, make([]byte, 10), 0); !errors.Is(err, sched.ErrClosed) {
		t.Errorf("Pread after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ps.closeWriters()
	ps.checkConservation(t)
	t.Logf("%d file reads before Close; %+v", fileRounds.Load(), l.Counters())
}
