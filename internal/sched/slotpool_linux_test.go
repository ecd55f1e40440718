package sched

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// claim takes n slots from p as shard.claim does, waiting for them; it
// gives back what it holds and returns nil when ctx ends first.
func claim(ctx context.Context, p *slotPool, n int) []uint32 {
	var idx []uint32
	for len(idx) < n {
		var waiting bool
		if idx, waiting = p.take(idx, n-len(idx), true); !waiting {
			continue
		}
		select {
		case <-p.wake:
			p.unwait()
		case <-ctx.Done():
			p.unwait()
			p.put(idx...)
			return nil
		}
	}
	return idx
}

// TestSlotPoolExclusive has many goroutines claim and return up to three
// of eight slots at a time: no slot may be held by two of them at once, none
// may be lost, and nobody may be left waiting while slots are free (the
// test would hang).
func TestSlotPoolExclusive(t *testing.T) {
	const slots, workers, rounds = 8, 32, 2000
	p := newSlotPool(10, slots)
	var owner [slots]atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var chainMu sync.Mutex
	var failed atomic.Bool
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Chains of more than one slot take turns, as under chainMu:
			// two of them holding part of the slots each could wait
			// forever.
			n := 1
			if w%4 == 0 {
				n = 3
			}
			for range rounds {
				if n > 1 {
					chainMu.Lock()
				}
				idx := claim(ctx, p, n)
				if n > 1 {
					chainMu.Unlock()
				}
				if idx == nil {
					failed.Store(true)
					return
				}
				for _, i := range idx {
					if i < 10 || i >= 10+slots {
						t.Errorf("slot %d is outside the pool's range", i)
					} else if !owner[i-10].CompareAndSwap(0, int32(w+1)) {
						t.Errorf("slot %d handed to worker %d while worker %d holds it", i, w+1, owner[i-10].Load())
					}
				}
				for _, i := range idx {
					owner[i-10].Store(0)
				}
				p.put(idx...)
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		t.Fatal("a worker waited 20 s for a slot: a wake-up was lost")
	}
	if got := p.available(); got != slots {
		t.Fatalf("%d slots free at the end, want %d", got, slots)
	}
}

// TestSlotPoolGiveUp: a waiter that gives up must not swallow the wake-up
// of the next one.
func TestSlotPoolGiveUp(t *testing.T) {
	p := newSlotPool(0, 1)
	held := claim(context.Background(), p, 1)
	if len(held) != 1 {
		t.Fatalf("claimed %v from a fresh pool of one", held)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan []uint32)
	go func() { gaveUp <- claim(ctx, p, 1) }()
	time.Sleep(10 * time.Millisecond) // let it register as a waiter
	cancel()
	if idx := <-gaveUp; idx != nil {
		t.Fatalf("cancelled claim returned %v", idx)
	}
	got := make(chan []uint32)
	go func() { got <- claim(context.Background(), p, 1) }()
	time.Sleep(10 * time.Millisecond)
	p.put(held...)
	select {
	case idx := <-got:
		if len(idx) != 1 || idx[0] != held[0] {
			t.Fatalf("second waiter got %v, want %v", idx, held)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second waiter was never woken")
	}
	if p.waiters != 0 {
		t.Fatalf("%d waiters registered at the end", p.waiters)
	}
}

// TestSlotPoolOnePutWakesAll: one put of many slots (a reap frees them
// together) must wake every waiter it can serve, with no put after it.
func TestSlotPoolOnePutWakesAll(t *testing.T) {
	const n = 16
	p := newSlotPool(0, n)
	held := claim(context.Background(), p, n)
	got := make(chan []uint32, n)
	for range n {
		go func() { got <- claim(context.Background(), p, 1) }()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		w := p.waiters
		p.mu.Unlock()
		if w == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d claims are waiting after 10 s", w, n)
		}
	}
	p.put(held...)
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case idx := <-got:
			if len(idx) != 1 {
				t.Fatalf("claim got %v", idx)
			}
		case <-timeout:
			t.Fatalf("only %d of %d waiters woke after one put of %d slots", i, n, n)
		}
	}
}
