package sched

// Submission: every SQE the loop writes goes through publish, whoever
// asks for it (a synchronous call or chain, a Flight, a cancel, a Lane's
// wake-up). A submission first claims one op slot per SQE (claim: a full
// ring makes submitters wait, the loop's backpressure), then publish
// writes the SQEs, binds each slot to its op and applies the test fault
// plan, and combine hands them to the kernel.

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// batchDepth is the number of ops in flight on a ring from which a
// submitter yields before entering, so that the goroutines queued behind
// it (most of them woken by the same reap, about to submit again) publish
// their SQEs first and one io_uring_enter carries them all: in a VM also
// one device notification instead of many. The yield holds the SQE back
// for as long as those goroutines take to run; with this many requests
// already at the device that delay costs no throughput, and the deeper the
// queue, the more goroutines are runnable and the larger the batch. Below
// it a submitter enters at once, so shallow queues see no added latency.
const batchDepth = 8

// errStopped is claim's report that its stop channel closed.
var errStopped = errors.New("sched: claim stopped")

// span is ops[start:end], linked one to the next.
type span struct{ start, end int }

// submit queues ops as one chain and waits for all their completions.
func (s *shard) submit(ctx context.Context, ops []*Op) error {
	chain := [1]span{{0, len(ops)}}
	t0 := timeStart(ops) // a sample of single ops is timed (stats_linux.go)
	err := s.submitChains(ctx, ops, chain[:])
	s.l.timeEnd(t0, ops)
	return err
}

// submitChains queues ops as the linked chains chains, and waits for all
// their completions. All are published before anyone enters, so one
// io_uring_enter carries them.
func (s *shard) submitChains(ctx context.Context, ops []*Op, chains []span) error {
	if len(ops) > s.free.size {
		return fmt.Errorf("uring: chain of %d ops exceeds the ring's %d slots", len(ops), s.free.size)
	}
	var idxBuf [4]uint32
	idx, err := s.claim(idxBuf[:0], len(ops), ctx.Done())
	if err != nil {
		if err == errStopped {
			return ctx.Err()
		}
		return err
	}

	// The ops of one submission share one completion signal: the last of
	// them to complete sends it on the first one's done channel.
	lead := ops[0]
	if len(ops) > 1 {
		lead.left.Store(int32(len(ops)))
	} else {
		lead = nil
	}
	for _, op := range ops {
		if op.done == nil {
			op.done = make(chan struct{}, 1)
		}
		op.lead = lead
	}
	s.users.Add(1)
	s.publish(ops, chains, idx, nil)
	if s.outstanding.Load() >= batchDepth {
		runtime.Gosched()
	}
	s.combine()
	err = s.wait(ctx, ops)
	s.users.Add(-1)
	return err
}

// claim appends n free op slots to idx, waiting for them while the ring
// has too few. It gives up, returning idx as it was, when stop is closed
// (errStopped) or the loop closes (ErrClosed). chainMu keeps two
// multi-slot claims from each holding part of the slots the other needs.
func (s *shard) claim(idx []uint32, n int, stop <-chan struct{}) ([]uint32, error) {
	if n > 1 {
		s.chainMu.Lock()
		defer s.chainMu.Unlock()
	}
	got := len(idx)
	for len(idx)-got < n {
		var waiting bool
		if idx, waiting = s.free.take(idx, n-(len(idx)-got), true); !waiting {
			continue
		}
		s.l.ctr().slotWaits.Add(1)
		var err error
		select {
		case <-s.free.wake:
		case <-stop:
			err = errStopped
		case <-s.l.closing:
			err = ErrClosed
		}
		s.free.unwait()
		if err != nil {
			s.free.put(idx[got:]...)
			return idx[:got], err
		}
	}
	return idx, nil
}

// tryClaim is claim without the wait: it appends n free op slots to idx
// if the ring has that many free, and otherwise takes none.
func (s *shard) tryClaim(idx []uint32, n int) ([]uint32, bool) {
	got := len(idx)
	idx, _ = s.free.take(idx, n, false)
	if len(idx)-got < n {
		s.free.put(idx[got:]...)
		return idx[:got], false
	}
	return idx, true
}

// publish writes one SQE for each op of chains into the ring, the k-th of
// them on slot idx[k], links every op of a chain to the next, and counts
// them pending for the next turn (combine). A nil chains publishes each op
// of ops alone. It is the one place that writes SQEs: the slot binding
// (user_data with the slot's generation), the link flags and the test
// fault plan are applied here for every kind of submission.
//
// fl, when not nil, is told of each completion (Flight.complete, with the
// op's index in ops) instead of the op's own signal. publish reports
// false, having written nothing, only when the wake slot's NOP finds the
// SQ full; every other slot is backed by an SQ entry of its own.
func (s *shard) publish(ops []*Op, chains []span, idx []uint32, fl *Flight) bool {
	k := 0
	s.sqMu.Lock()
	for c := 0; k < len(idx); c++ {
		sp := span{c, c + 1}
		if chains != nil {
			sp = chains[c]
		}
		for i := sp.start; i < sp.end; i++ {
			op := ops[i]
			sqe := s.r.NextSQE()
			if sqe == nil {
				if k == 0 && idx[0] == s.wakeSlot {
					s.sqMu.Unlock()
					return false
				}
				panic("sched: submission queue full with a free slot")
			}
			op.fill(sqe)
			sl := &s.slots[idx[k]]
			sl.gen++
			sl.op, sl.flight, sl.fidx = op, fl, i
			op.ud = uint64(sl.gen)<<32 | uint64(idx[k])
			sqe.UserData = op.ud
			if i < sp.end-1 {
				sqe.Flags |= ring.SQEIOLink
			}
			if !op.detached {
				faultSQE(sqe, op)
			}
			if fl != nil {
				fl.uds[i].Store(op.ud)
			}
			k++
		}
	}
	s.sqMu.Unlock()
	s.pending.Add(int32(k))
	return true
}

// wait blocks until every op of the submission has completed. If ctx is
// done first, it asks the kernel to cancel what is still running and keeps
// waiting: the kernel may be writing into the ops' buffers until their CQEs.
func (s *shard) wait(ctx context.Context, ops []*Op) error {
	// One signal covers the submission (see submitChains).
	done := ops[0].done
	var ctxErr error
	select {
	case <-done:
		s.l.ctr().inline.Add(1)
	default:
		s.l.ctr().parks.Add(1)
		// Loop.Close needs no case of its own: its cancel-all rounds
		// end every op in flight, whose completion wakes us.
		if ctx.Done() == nil {
			if !s.kernelWait(ops) {
				<-done
			}
		} else {
			select {
			case <-done:
			case <-ctx.Done():
				ctxErr = ctx.Err()
			}
		}
		if ctxErr == nil {
			select {
			case <-s.l.closing:
				// Close may have cancelled the ops under us: say so.
				ctxErr = ErrClosed
			default:
			}
		} else {
			// Which ops have completed is not known here; a cancel of one
			// that has (or of a slot since reused, under another
			// generation) fails harmlessly with ENOENT.
			ts := make([]cancelTarget, len(ops))
			for i, op := range ops {
				ts[i].ud = op.ud
			}
			s.cancel(ts, true)
			<-done
		}
	}
	if ctxErr != nil {
		for _, op := range ops {
			if op.Res == -int32(unix.ECANCELED) || op.Res == -int32(unix.EINTR) {
				return ctxErr
			}
		}
	}
	return nil
}

// cancelTarget names what one IORING_OP_ASYNC_CANCEL cancels: the request
// whose user_data is ud, or, as flags say, every request on the ring
// (ring.AsyncCancelAny) or every request on fd (ring.AsyncCancelFd).
type cancelTarget struct {
	ud    uint64
	flags uint32
	fd    int
}

// cancel submits one ASYNC_CANCEL per target on the ring's reserved cancel
// slots, so that cancelling never waits behind the very operations it is
// meant to cancel, as many per io_uring_enter as there are free cancel
// slots. A cancel whose request has already completed fails harmlessly
// with ENOENT, and slot generations keep it from hitting the slot's next
// op. Cancels are detached: the reaper recycles them, nobody waits for
// their CQEs.
//
// With mayBlock false it never waits for a cancel slot: the targets that
// find none go to a goroutine (a Flight may be cancelled on a reaper,
// which is what frees cancel slots). The caller holds the loop open
// (Loop.enter), or is Loop.Close before it releases the rings.
func (s *shard) cancel(ts []cancelTarget, mayBlock bool) {
	for len(ts) > 0 {
		var idxBuf [cancelSlots]uint32
		idx := idxBuf[:0]
		if mayBlock {
			idx = append(idx, <-s.cancelFree)
		}
	gather:
		for len(idx) < min(len(ts), cancelSlots) {
			select {
			case i := <-s.cancelFree:
				idx = append(idx, i)
			default:
				break gather
			}
		}
		if len(idx) == 0 {
			rest := append([]cancelTarget(nil), ts...)
			s.l.state.Add(1)
			go func() {
				defer s.l.leave()
				s.cancel(rest, true)
			}()
			return
		}
		var opsBuf [cancelSlots]*Op
		ops := opsBuf[:len(idx)]
		for k := range ops {
			c := getOp(ring.OpAsyncCancel)
			c.Len, c.Flags, c.Fd = ts[k].ud, ts[k].flags, ts[k].fd
			c.detached = true
			ops[k] = c
		}
		s.publish(ops, nil, idx, nil)
		s.l.ctr().cancels.Add(uint64(len(idx)))
		s.combine()
		ts = ts[len(idx):]
	}
}

// cancelAll asks the kernel to cancel every request on the ring (used by
// Loop.Close).
func (s *shard) cancelAll() {
	s.cancel([]cancelTarget{{flags: ring.AsyncCancelAny}}, true)
}
