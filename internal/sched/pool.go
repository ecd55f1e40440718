package sched

// The process-wide goroutine pool: operations that do not go through a
// ring (the syscall backend's flights, and on systems without io_uring
// every Batch) run as system calls on goroutines, at most PoolSize of them
// at once over the whole process. This file builds on every system.

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// PoolSize bounds the system calls the pool runs at once. A call that
// blocks for good (a read of a pipe nobody writes) holds its place while it
// blocks, so the bound is not tight: at least 64, the depth that keeps a
// device busy.
func PoolSize() int { return max(64, 4*runtime.GOMAXPROCS(0)) }

var poolPlaces = sync.OnceValue(func() chan struct{} { return make(chan struct{}, PoolSize()) })

// PoolWorkers is the number of goroutines PoolSpread starts for n pieces
// of work.
func PoolWorkers(n int) int { return min(n, PoolSize()) }

// PoolSpread starts PoolWorkers(n) goroutines that share out the indices
// 0 to n-1 among them, calling each(i) once for every index, and calls
// exit, if not nil, as each goroutine ends. each runs its system calls
// inside PoolHold; what it does around them (signalling a completion that
// may start more work) runs outside.
func PoolSpread(n int, each func(i int), exit func()) {
	var next atomic.Int64
	for range PoolWorkers(n) {
		go func() {
			if exit != nil {
				defer exit()
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				each(i)
			}
		}()
	}
}

// PoolHold runs fn holding one of the pool's places, waiting for one if
// all are taken.
func PoolHold(fn func()) {
	places := poolPlaces()
	places <- struct{}{}
	defer func() { <-places }()
	fn()
}
