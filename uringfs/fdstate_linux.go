package uringfs

import "sync/atomic"

// fdState is a reference count on a descriptor with a closed bit, in the
// spirit of internal/poll's fdMutex: every operation holds a reference while
// it uses the fd number, and the number is released only after the last
// reference is dropped, so it is never reused under an operation in flight.
// A File keeps one on its descriptor, a Root on its directory's.
//
// Layout of v: bit 62 is set once Close has begun, bit 61 once Close has
// handed the release of the descriptor to the last reference holder (it
// could not wait for it); the low bits count references.
type fdState struct {
	v atomic.Int64
	// drainedCh holds the channel drained returns, made when first asked
	// for: most Closes find no reference held and never need one, and an
	// open is then spared the allocation.
	drainedCh atomic.Pointer[chan struct{}]
}

// drained returns a channel that is closed when the count reaches zero
// after Close.
func (s *fdState) drained() chan struct{} {
	if p := s.drainedCh.Load(); p != nil {
		return *p
	}
	c := make(chan struct{})
	if s.drainedCh.CompareAndSwap(nil, &c) {
		return c
	}
	return *s.drainedCh.Load()
}

const (
	fdClosedBit = int64(1) << 62
	fdDeferBit  = int64(1) << 61
)

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

// decref drops a reference. It reports true when the caller dropped the last
// one after Close deferred the release to it: the caller must destroy.
func (s *fdState) decref() (destroy bool) {
	switch s.v.Add(-1) {
	case fdClosedBit:
		close(s.drained())
	case fdClosedBit | fdDeferBit:
		return true
	}
	return false
}

// closing reports whether Close has begun.
func (s *fdState) closing() bool { return s.v.Load()&fdClosedBit != 0 }

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

// deferRelease hands the release of the descriptor to whoever drops the last
// reference. It reports false when no reference is left (drained is closed):
// then the caller releases it itself.
func (s *fdState) deferRelease() bool {
	for {
		v := s.v.Load()
		if v == fdClosedBit {
			return false
		}
		if s.v.CompareAndSwap(v, v|fdDeferBit) {
			return true
		}
	}
}
