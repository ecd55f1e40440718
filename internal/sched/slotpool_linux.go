package sched

import "sync"

// slotPool is a set of free slot numbers (a ring's op slots, or its direct
// descriptor slots). A submission takes all the slots it needs under one
// lock and a reap gives back all the slots it freed under one lock, where
// a channel of slots would cost a send and a receive per op: ReadFiles
// submits six ops a file, 192 at a time.
//
// Waiting for slots is the loop's backpressure. A caller that finds none
// registers as a waiter (take with wait set) and blocks on wake, together
// with its context; whoever gives slots back while someone waits leaves a
// token in wake. The one token wakes one waiter, which hands it on when
// slots and waiters remain (unwait), so a return of many slots wakes as
// many waiters as can use them, one after another.
type slotPool struct {
	mu      sync.Mutex
	free    []uint32
	size    int
	waiters int
	wake    chan struct{}
}

// newSlotPool returns a pool holding slots first, first+1, ..., first+n-1.
func newSlotPool(first, n uint32) *slotPool {
	p := &slotPool{free: make([]uint32, 0, n), size: int(n), wake: make(chan struct{}, 1)}
	// Taken from the end: the low slots go first.
	for i := first + n; i > first; i-- {
		p.free = append(p.free, i-1)
	}
	return p
}

// take appends up to n free slots to dst. When none is free and wait is
// set, the caller becomes a waiter: it must then block on p.wake (or give
// up) and call unwait either way before it takes again.
func (p *slotPool) take(dst []uint32, n int, wait bool) (_ []uint32, waiting bool) {
	p.mu.Lock()
	k := min(n, len(p.free))
	dst = append(dst, p.free[len(p.free)-k:]...)
	p.free = p.free[:len(p.free)-k]
	if k == 0 && wait {
		p.waiters++
		waiting = true
	}
	p.mu.Unlock()
	return dst, waiting
}

// unwait ends a wait that take began, whether the token woke the caller or
// it gave up, and passes the token on if another waiter can use a slot.
func (p *slotPool) unwait() {
	p.mu.Lock()
	p.waiters--
	pass := p.waiters > 0 && len(p.free) > 0
	p.mu.Unlock()
	if pass {
		p.signal()
	}
}

// put gives slots back.
func (p *slotPool) put(idx ...uint32) {
	if len(idx) == 0 {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, idx...)
	w := p.waiters
	p.mu.Unlock()
	if w > 0 {
		p.signal()
	}
}

// signal leaves the token for a waiter; one already there is enough.
func (p *slotPool) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// available returns the number of free slots.
func (p *slotPool) available() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
