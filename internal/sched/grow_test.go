package sched_test

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// TestRingsGrowWithLoad checks that a default loop starts with one ring,
// keeps serving every P from it while its load is light, and sets up the
// rings of other Ps once many operations are in flight on it.
func TestRingsGrowWithLoad(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	l := newLoop(t, sched.BackendURing, sched.Config{})
	if l.MaxRings() != 4 || l.Rings() != 1 {
		t.Fatalf("new default loop at GOMAXPROCS 4: %d of %d rings set up, want 1 of 4", l.Rings(), l.MaxRings())
	}

	// Light load: many goroutines, each with one short op at a time.
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := l.Nop(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := l.Rings(); n != 1 {
		t.Fatalf("after light load: %d rings set up, want 1", n)
	}

	// Heavy load: reads parked on an empty pipe fill the first ring (and
	// those beyond growDepth may already set up others) while more
	// goroutines keep submitting from every P.
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd[0])
	const parked = 2 * sched.GrowDepth
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for i := 0; i < parked; i++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var b [1]byte
			l.Pread(ctx, pfd[0], b[:], -1)
		}()
	}
	for inFlight(l) < parked {
		runtime.Gosched()
	}
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500 && l.Rings() < l.MaxRings(); i++ {
				if err := l.Nop(context.Background()); err != nil {
					t.Error(err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	if n := l.Rings(); n < 2 {
		t.Errorf("with %d reads in flight on the first ring: %d rings set up, want more than 1", parked, n)
	}
	cancel()
	unix.Close(pfd[1])
	readers.Wait()
}

func inFlight(l *sched.Loop) int64 {
	var n int64
	for _, g := range l.Gauges() {
		n += g.InFlight
	}
	return n
}

// TestChainsDirectSpreadOverRings checks that callers of ChainsDirect,
// whose submissions run whole chains inside io_uring_enter, get a ring per
// P whatever the depth: the kernel runs one ring's submissions one at a
// time, so on a shared ring they would take turns.
func TestChainsDirectSpreadOverRings(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	l := newLoop(t, sched.BackendURing, sched.Config{})
	if !l.DirectFiles() {
		t.Skip("kernel lacks direct descriptors for linked chains (IORING_FEAT_LINKED_FILE)")
	}
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, pattern(100, 1))
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50 && l.Rings() < l.MaxRings(); i++ {
				buf := make([]byte, 4096)
				ran := make([]bool, 1)
				if err := l.ChainsDirect(context.Background(), [][]*sched.Op{readChain(p, buf)}, ran, nil); err != nil {
					t.Error(err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	if n := l.Rings(); n < 2 {
		t.Errorf("16 goroutines of ChainsDirect at GOMAXPROCS 4: %d rings set up, want more than 1", n)
	}
}
