//go:build linux

package sched

import (
	"sync"
	"testing"
)

// TestJoinBatch checks the batch bookkeeping: of the submitters a batch
// expects, all but the last leave the enter to a later one, the last
// enters, and so does everyone once the batch is closed or was never
// opened.
func TestJoinBatch(t *testing.T) {
	var s shard
	if s.joinBatch() {
		t.Fatal("joinBatch with no batch open: leaves its enter to nobody")
	}
	s.expect.Add(3)
	for i, want := range []bool{true, true, false, false} {
		if got := s.joinBatch(); got != want {
			t.Fatalf("submitter %d of a batch of 3: joinBatch = %v, want %v", i+1, got, want)
		}
	}
	s.expect.Add(5)
	s.joinBatch()
	s.expect.Store(0) // gather closes the batch
	if s.joinBatch() {
		t.Fatal("joinBatch after the batch closed: leaves its enter to nobody")
	}

	// Concurrent members: exactly one of them is last.
	const n = 64
	s.expect.Add(n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	entering := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !s.joinBatch() {
				mu.Lock()
				entering++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if entering != 1 || s.expect.Load() != 0 {
		t.Fatalf("%d concurrent members of a batch of %d: %d entered, %d still expected; want 1 and 0", n, n, entering, s.expect.Load())
	}
}
