package uringfs

import "sync/atomic"

// fdState is a reference count on a descriptor with a closed bit, in the
// spirit of internal/poll's fdMutex: every operation holds a reference while
// it uses the fd number, and Close waits for the last one, so the number is
// never reused under an operation in flight.
type fdState struct {
	v       atomic.Int64
	drained chan struct{} // closed when the count reaches zero after close
}

const fdClosedBit = int64(1) << 62

// incref takes a reference; false once Close has started.
func (s *fdState) incref() bool {
	for {
		v := s.v.Load()
		if v&fdClosedBit != 0 {
			return false
		}
		if s.v.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

func (s *fdState) decref() {
	if s.v.Add(-1) == fdClosedBit {
		close(s.drained)
	}
}

// markClosed sets the closed bit. It reports false if it was already set,
// and whether references are still held.
func (s *fdState) markClosed() (first, busy bool) {
	for {
		v := s.v.Load()
		if v&fdClosedBit != 0 {
			return false, false
		}
		if s.v.CompareAndSwap(v, v|fdClosedBit) {
			return true, v != 0
		}
	}
}
