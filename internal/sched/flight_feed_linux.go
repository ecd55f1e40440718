package sched

// Feeding a Flight's chains to its ring: as many as the free slots allow
// at Start, the rest by a feeder goroutine as slots free up, each chain
// with Direct ops on a direct descriptor slot of its own.

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// dropChains completes the ops of every chain not yet submitted with
// -ECANCELED.
func (f *Flight) dropChains() {
	for ; f.next < len(f.chains); f.next++ {
		c := f.chains[f.next]
		if f.direct != nil {
			f.direct[f.next] = false // it holds no slot
		}
		for i := c.start; i < c.end; i++ {
			f.ops[i].Res = -int32(unix.ECANCELED)
			f.complete(i)
		}
	}
}

// feed hands whole chains to the ring while it has free slots for them and
// submits them with one flat-combining pass. With block set it first waits
// for the slots of the next chain (or for a cancellation). It reports false
// when it stopped for a cancellation.
func (f *Flight) feed(block bool) bool {
	s := f.s
	var idx []uint32
	first := f.next
	for f.next < len(f.chains) {
		c := f.chains[f.next]
		n := c.end - c.start
		wait := block && f.next == first
		// A direct slot first, then the SQ slots: ChainDirect takes them
		// in that order too, so no two claims wait for each other.
		if f.direct != nil && f.direct[f.next] {
			k, ok := f.takeDirect(wait)
			if !ok {
				if wait {
					return false
				}
				break
			}
			f.dslot[f.next] = k
		}
		if wait {
			var err error
			if idx, err = s.claim(idx, n, f.cancelChan()); err != nil {
				if err == ErrClosed {
					f.cancel(ErrClosed, true)
				}
				f.putDirect(f.next)
				return false
			}
		} else {
			var ok bool
			if idx, ok = s.tryClaim(idx, n); !ok {
				f.putDirect(f.next)
				break
			}
		}
		f.next++
	}
	if len(idx) == 0 {
		return true
	}

	published := f.chains[first:f.next]
	if f.direct != nil {
		for ci, c := range published {
			for i := c.start; i < c.end; i++ {
				if f.ops[i].Direct {
					f.ops[i].slot = f.dslot[first+ci]
				}
			}
		}
	}
	s.publish(f.ops, published, idx, f)
	s.combine()

	// A cancel that ran before the user_data above were stored missed them.
	var late []uint64
	for _, c := range published {
		for i := c.start; i < c.end; i++ {
			if f.cancelled.Load() || f.opCancel[i].Load() {
				if ud := f.uds[i].Load(); ud != 0 {
					late = append(late, ud)
				}
			}
		}
	}
	if len(late) > 0 {
		s.cancelUDs(late, block)
	}
	return true
}

// feeder hands the chains that did not fit at Start to the ring as slots
// free up, in waves.
func (f *Flight) feeder() {
	defer f.l.leave()
	for f.next < len(f.chains) {
		if f.cancelled.Load() || !f.feed(true) {
			f.dropChains()
			return
		}
	}
}

// cancelUDs cancels the requests whose user_data are uds (see
// shard.cancel), unless the loop has closed: then Close's cancel-all has
// taken care of them.
func (s *shard) cancelUDs(uds []uint64, mayBlock bool) {
	if len(uds) == 0 || s.l.enter() != nil {
		return
	}
	defer s.l.leave()
	ts := make([]cancelTarget, len(uds))
	for i, ud := range uds {
		ts[i].ud = ud
	}
	s.cancel(ts, mayBlock)
}

// markDirect notes which chains have Direct ops, and which chain each op
// belongs to, and reports whether any chain has one.
func (f *Flight) markDirect() bool {
	found := false
	for _, c := range f.chains {
		for i := c.start; i < c.end; i++ {
			found = found || f.ops[i].Direct
		}
	}
	if !found {
		return false
	}
	f.direct = make([]bool, len(f.chains))
	f.dslot = make([]uint32, len(f.chains))
	f.dleft = make([]atomic.Int32, len(f.chains))
	f.chainOf = make([]int32, len(f.ops))
	for i := range f.chainOf {
		f.chainOf[i] = -1
	}
	for ci, c := range f.chains {
		f.dleft[ci].Store(int32(c.end - c.start))
		for i := c.start; i < c.end; i++ {
			f.chainOf[i] = int32(ci)
			f.direct[ci] = f.direct[ci] || f.ops[i].Direct
		}
	}
	return true
}

// takeDirect takes a direct descriptor slot of the flight's ring. With
// wait set it waits for one, giving up when the flight is cancelled or the
// loop closes.
func (f *Flight) takeDirect(wait bool) (uint32, bool) {
	s := f.s
	select {
	case k := <-s.direct.free:
		return k, true
	default:
	}
	if !wait {
		return 0, false
	}
	s.l.ctr().slotWaits.Add(1)
	select {
	case k := <-s.direct.free:
		return k, true
	case <-f.cancelChan():
		return 0, false
	case <-s.l.closing:
		f.cancel(ErrClosed, true)
		return 0, false
	}
}

// putDirect gives back the slot taken for chain ci, which was not handed
// to the ring after all.
func (f *Flight) putDirect(ci int) {
	if f.direct != nil && f.direct[ci] {
		f.s.direct.free <- f.dslot[ci]
	}
}

// directReady reports whether chains can run on direct descriptors here.
func (s *shard) directReady() bool {
	if !s.l.DirectFiles() {
		return false
	}
	s.direct.init(s.r)
	return s.direct.ok.Load()
}

// emptyDirect gives slot k back once chain, which ran on it, has every
// CQE: at once if the chain's direct CLOSE emptied it, else after
// clearing it. A slot that cannot be cleared is never reused.
func (s *shard) emptyDirect(k uint32, chain []*Op) {
	if !closedDirect(chain) {
		if err := s.r.UpdateFiles(k, []int32{-1}); err != nil {
			s.direct.lost.Add(1)
			return
		}
	}
	s.direct.free <- k
}
