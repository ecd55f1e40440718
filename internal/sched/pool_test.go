package sched_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uringfs/uring/internal/sched"
)

// TestPoolSpread: every index runs once and every worker's exit runs once.
func TestPoolSpread(t *testing.T) {
	n := 3*sched.PoolSize() + 7
	var seen = make([]atomic.Int32, n)
	var wg sync.WaitGroup
	workers := sched.PoolWorkers(n)
	wg.Add(workers)
	var exits atomic.Int32
	sched.PoolSpread(n, func(i int) {
		sched.PoolHold(func() { seen[i].Add(1) })
	}, func() { exits.Add(1); wg.Done() })
	wg.Wait()
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("index %d ran %d times", i, c)
		}
	}
	if int(exits.Load()) != workers || workers != sched.PoolSize() {
		t.Errorf("%d exits of %d workers, want PoolSize %d", exits.Load(), workers, sched.PoolSize())
	}
	if w := sched.PoolWorkers(3); w != 3 {
		t.Errorf("PoolWorkers(3) = %d", w)
	}
}

// TestPoolHold: with twice PoolSize goroutines asking at once, no more
// than PoolSize are inside at any time, and all of them get in.
func TestPoolHold(t *testing.T) {
	size := sched.PoolSize()
	var inside, most, done atomic.Int32
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 2 * size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sched.PoolHold(func() {
				k := inside.Add(1)
				for {
					m := most.Load()
					if k <= m || most.CompareAndSwap(m, k) {
						break
					}
				}
				<-release
				inside.Add(-1)
				done.Add(1)
			})
		}()
	}
	for inside.Load() < int32(size) {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if int(most.Load()) != size || int(done.Load()) != 2*size {
		t.Errorf("at most %d inside (want PoolSize %d), %d done (want %d)", most.Load(), size, done.Load(), 2*size)
	}
}
