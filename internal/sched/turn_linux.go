package sched

// A turn of the loop: submitting what is pending, reaping what has
// completed, and deciding who sleeps where. Whoever holds a shard's
// enterMu takes turns for everyone (flat combining): a submitter inline,
// a lone caller asleep in io_uring_enter, or the ring's worker.

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// combine submits pending SQEs and reaps completions if nobody else is doing
// it right now. When the lock is taken, its holder will see our pending count
// after it unlocks and do the work for us.
func (s *shard) combine() {
	for s.pending.Load() > 0 {
		if !s.enterMu.TryLock() {
			if !s.kwait.Load() {
				return
			}
			// The holder sleeps in the kernel until a completion: submit
			// our SQEs ourselves, and their completions will wake it.
			s.submitAside()
			if s.kwait.Load() {
				return
			}
			// It woke meanwhile and may have decided the eventfd before
			// counting what we submitted: have a turn taken after ours.
			s.pending.Add(1)
			continue
		}
		s.turnLocked()
		s.enterMu.Unlock()
	}
}

// submitAside publishes and submits the pending SQEs without enterMu,
// while a kernel waiter holds it. The kernel serialises submissions
// itself; only reaping needs the lock, and the waiter reaps when the
// completions wake it.
func (s *shard) submitAside() {
	s.pending.Store(0)
	n := s.unsubmitted()
	if n == 0 {
		return
	}
	got, _ := enterRing(s.r, n, 0)
	s.l.ctr().enters.Add(1)
	if got > 0 {
		s.l.ctr().sqes.Add(uint64(got))
		s.outstanding.Add(int64(got))
	}
	if uint32(max(got, 0)) < n && s.unsubmitted() > 0 {
		// EAGAIN or EBUSY, or another enter took some of them: whatever
		// is still in the queue goes with the next turn.
		s.pending.Add(1)
	}
}

// unsubmitted publishes the SQEs written so far and returns how many
// published SQEs the kernel has not consumed yet. That is what an enter
// should ask for: with submitAside, two enters can run at once, and each
// takes what it finds, so a count kept by either could be stale.
func (s *shard) unsubmitted() uint32 {
	s.sqMu.Lock()
	defer s.sqMu.Unlock()
	return s.r.Flush()
}

// kernelWait waits for the submission whose ops are ops inside
// io_uring_enter(min_complete 1), holding enterMu, when the caller is the
// only goroutine using the shard and its ops are all the ring has in
// flight: the kernel then wakes this very thread at the completion, as it
// wakes a thread blocked in pread, where a parked caller is woken through
// the eventfd, the netpoller and the ring's worker, several context
// switches a read. Submitters that come meanwhile submit for themselves
// (combine, submitAside), so nobody waits behind the sleeper. It reports
// whether the ops completed, their signal consumed; false leaves the
// caller to park. With company it would cost more than it saves: every
// other submitter would then enter alone and be reaped by a thread asleep
// in a system call, which is why it is kept for a goroutine alone.
func (s *shard) kernelWait(ops []*Op) bool {
	if faultsActive() || !s.enterMu.TryLock() {
		return false
	}
	done := ops[0].done
	completed := false
	for {
		s.reapLocked()
		select {
		case <-done:
			completed = true
		default:
		}
		if completed {
			break
		}
		left := int64(1)
		if len(ops) > 1 {
			left = int64(ops[0].left.Load())
		}
		if s.users.Load() != 1 || s.outstanding.Load() != left || s.pending.Load() > 0 {
			break
		}
		s.kwait.Store(true)
		if s.pending.Load() > 0 {
			// A submitter missed the flag: take its SQEs the usual way.
			s.kwait.Store(false)
			break
		}
		if !s.sleepLocked() {
			break
		}
	}
	s.turnLocked()
	s.enterMu.Unlock()
	s.combine()
	return completed
}

// sleepLocked sleeps in io_uring_enter until the ring has a completion;
// the caller holds enterMu and has set kwait, which it clears. It reports
// false if the ring refused the wait for good.
func (s *shard) sleepLocked() bool {
	if s.efdOn {
		// The wake-up comes from the kernel to this thread, not through
		// the eventfd to the worker.
		s.efdOn = false
		s.r.SetEventfdEnabled(false)
	}
	s.l.ctr().kernelWaits.Add(1)
	_, err := s.r.Enter(0, 1, ring.EnterGetEvents)
	s.kwait.Store(false)
	return err == nil || errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY)
}

// turnLocked is one turn of the loop: submit, reap, and decide whether the
// eventfd must be armed. enterMu is held.
func (s *shard) turnLocked() {
	s.pending.Store(0)
	s.enterLocked(s.unsubmitted())
	s.reapLocked()
	if s.outstanding.Load() > 0 {
		if !s.efdOn {
			s.efdOn = true
			s.r.SetEventfdEnabled(true)
			s.guard(true)
			// A CQE posted before the flag was visible raised no signal.
			s.reapLocked()
		}
	}
	if s.outstanding.Load() == 0 && s.efdOn {
		s.efdOn = false
		s.r.SetEventfdEnabled(false)
	}
}

func (s *shard) enterLocked(n uint32) {
	backoff := time.Microsecond
	for {
		var flags uint32
		if s.r.SQFlags()&(ring.SQCQOverflow|ring.SQTaskrun) != 0 {
			flags |= ring.EnterGetEvents
		}
		if n == 0 && flags == 0 {
			return
		}
		got, err := enterRing(s.r, n, flags)
		s.l.ctr().enters.Add(1)
		if got > 0 {
			s.l.ctr().sqes.Add(uint64(got))
			s.outstanding.Add(int64(got))
		}
		if err == nil && uint32(max(got, 0)) >= n {
			return
		}
		// What is left is re-read from the ring rather than counted down:
		// a submitAside's enter may have consumed some of ours, and
		// ours some of its.
		if n = s.unsubmitted(); n == 0 && err == nil {
			return
		}
		switch {
		case err == nil, errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY), errors.Is(err, unix.ENOMEM), errors.Is(err, unix.EINTR):
			// The kernel is short of memory or has completions to hand back
			// first: make room and try again after a short pause.
			s.reapLocked()
			s.l.ctr().retries.Add(1)
			time.Sleep(backoff)
			backoff = min(backoff*2, time.Millisecond)
		default:
			// EBADF, EFAULT, EINVAL: the ring itself is broken.
			panic(fmt.Sprintf("sched: io_uring_enter: %v", err))
		}
	}
}

// reapLocked delivers every CQE in the queue to its op and gives the
// freed slots back together.
func (s *shard) reapLocked() {
	if raceBuild {
		// Submitters write their slots under sqMu, then enter; the kernel
		// orders those writes before the CQE we read, but the race
		// detector cannot see that when the submitter went around
		// enterMu (submitAside). Taking sqMu shows it the order. Other
		// builds skip it: at 128 goroutines the lock costs throughput.
		s.sqMu.Lock()
		s.sqMu.Unlock()
	}
	s.r.ReapCQEs(s.deliver)
	if len(s.freed) > 0 {
		s.free.put(s.freed...)
		s.freed = s.freed[:0]
	}
}

func (s *shard) deliver(cqe *ring.CQE) {
	s.outstanding.Add(-1)
	i, gen := uint32(cqe.UserData), uint32(cqe.UserData>>32)
	if int(i) >= len(s.slots) {
		return
	}
	sl := &s.slots[i]
	op := sl.op
	if op == nil || sl.gen != gen {
		return // stale: the slot was recycled
	}
	sl.op = nil
	fl, fidx := sl.flight, sl.fidx
	sl.flight = nil
	op.Res = cqe.Res
	faultCQE(op)
	if op.detached {
		putOp(op)
		if i == s.wakeSlot {
			s.wakeBusy.Store(false)
		} else {
			s.cancelFree <- i
		}
		return
	}
	s.l.countCQE(op) // before the signal: a woken waiter may reuse op
	s.freed = append(s.freed, i)
	if fl != nil {
		fl.complete(fidx)
		return
	}
	if lead := op.lead; lead != nil {
		// op may be reused as soon as the waiter wakes: only the lead,
		// which the waiter holds until the signal, is touched after the
		// count drops.
		if lead.left.Add(-1) == 0 {
			lead.done <- struct{}{}
		}
		return
	}
	op.done <- struct{}{}
}
