//go:build linux

package sched_test

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/uringfs/uring/internal/sched"
)

// TestRingsSetUpPerP checks that a default loop starts with one ring and
// sets up the ring of each P when the P first submits, up to one per P.
func TestRingsSetUpPerP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	l := newLoop(t, sched.BackendURing, sched.Config{})
	if l.MaxRings() != 4 || l.Rings() != 1 {
		t.Fatalf("new default loop at GOMAXPROCS 4: %d of %d rings set up, want 1 of 4", l.Rings(), l.MaxRings())
	}
	if err := l.Nop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := l.Rings(); n != 1 {
		t.Fatalf("after one NOP: %d rings set up, want 1 (the first P to submit takes the ring New set up)", n)
	}
	var wg sync.WaitGroup
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
	if n := l.Rings(); n < 2 || n > 4 {
		t.Errorf("16 goroutines submitting at GOMAXPROCS 4: %d rings set up, want 2 to 4", n)
	}
	if got := len(l.Gauges()); got != l.Rings() {
		t.Errorf("%d gauges for %d rings", got, l.Rings())
	}
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
