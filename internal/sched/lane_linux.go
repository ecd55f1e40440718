package sched

import (
	"github.com/uringfs/uring/internal/ring"
)

// Waiting for one's own flights inside the kernel
//
// A goroutine that keeps many operations in flight (a uringfs Batch used
// as a completion queue) spends most of its time waiting for the next
// completion. Parked, it is woken through the ring's eventfd, the
// netpoller, the ring's worker and a channel: two goroutine wake-ups per
// completion batch. fio waits instead in io_uring_enter(min_complete 1) and
// reaps on its own thread. A Lane lets a goroutine do the same: its
// flights all go to one ring, and Await sleeps in that ring's
// io_uring_enter, reaping on the caller's thread, so the flights' notify
// callbacks run right there and the caller goes on without a wake-up.

// Lane is one of the loop's rings, chosen once by a goroutine that starts
// flights over time and waits for them (StartOn, Await). The zero Lane
// lets each Start pick the caller's ring.
type Lane struct{ s *shard }

// Lane returns the ring of the P the caller runs on, or the zero Lane on
// the syscall backend.
func (l *Loop) Lane() Lane {
	if len(l.shards) == 0 {
		return Lane{}
	}
	return Lane{l.shardHere()}
}

// Await waits for ready to report true inside io_uring_enter on lane's
// ring, reaping the ring's completions on the caller's thread: the notify
// callbacks of flights on that ring run here, and one of them is expected
// to make ready true. ready is called with the ring held, after every reap
// and once more after the caller is marked asleep (see Wake); it must be
// quick and must not wait.
//
// Await reports whether ready became true. It reports false, having
// reaped what it could, when it cannot wait that way: another goroutine
// holds the ring, the ring has nothing in flight, a goroutine waits on
// the ring in Do, another owner has flights in flight on it (AddOwner),
// another goroutine waits for flights on it (BeginWait), or the loop is
// closing. The caller then parks on whatever ready watches.
//
// Company is refused because the system call holds the caller's P until
// the runtime's monitor takes it back (20 us or more): goroutines that the
// sleeper's completions woke cannot run on it meanwhile, and every other
// submitter enters alone. Many goroutines each waiting for one read at a
// time would otherwise take turns sleeping in the kernel whenever the ring
// held no other flight for an instant, and run well below parking; the
// owner and waiter counts keep the kernel wait for a goroutine that really
// is alone. Callers mark their whole wait, parked or in Await, with
// BeginWait and EndWait, and their flights with AddOwner and DropOwner.
//
// A completion that makes ready true without passing through this ring
// (a flight on another ring or on the syscall path, a goroutine) must be
// followed by Wake, or the caller may sleep until the ring's next
// completion.
func (l *Loop) Await(lane Lane, ready func() bool) bool {
	s := lane.s
	if s == nil || s.l != l || faultsActive() {
		return false
	}
	// Inside the loop, so that Close waits for us before it unmaps the
	// ring (its cancel-all wakes us).
	if l.enter() != nil {
		return false
	}
	defer l.leave()
	if !s.enterMu.TryLock() {
		return false
	}
	ok := false
	for {
		if s.pending.Load() > 0 {
			// Submitters who found the ring held left their SQEs to us.
			s.pending.Store(0)
			s.enterLocked(s.unsubmitted())
		}
		s.reapLocked()
		if ready() {
			ok = true
			break
		}
		if s.users.Load() != 0 || s.owners.Load() > 1 || s.waiters.Load() > 1 || s.outstanding.Load() == 0 || l.isClosing() {
			break
		}
		s.kwait.Store(true)
		if s.pending.Load() > 0 || ready() {
			// A submitter or a Wake came before the flag was visible.
			s.kwait.Store(false)
			continue
		}
		if !s.sleepLocked() {
			break
		}
	}
	s.turnLocked()
	s.enterMu.Unlock()
	s.combine()
	return ok
}

// AddOwner counts one more holder of flights in flight on lane's ring (a
// uringfs Batch with operations not yet completed), until DropOwner. Await
// sleeps in the kernel only for a caller that is the ring's only owner.
func (lane Lane) AddOwner() {
	if lane.s != nil {
		lane.s.owners.Add(1)
	}
}

// DropOwner ends what AddOwner began.
func (lane Lane) DropOwner() {
	if lane.s != nil {
		lane.s.owners.Add(-1)
	}
}

// BeginWait marks the caller as waiting for flights on lane's ring, until
// EndWait: parked or in Await, and also once woken until it runs again,
// it counts against any other goroutine's Await there.
func (lane Lane) BeginWait() {
	if lane.s != nil {
		lane.s.waiters.Add(1)
	}
}

// EndWait ends what BeginWait began.
func (lane Lane) EndWait() {
	if lane.s != nil {
		lane.s.waiters.Add(-1)
	}
}

// Wake makes a goroutine asleep in Await (or in a lone caller's kernel
// wait) on lane's ring check its condition again, by completing a NOP on
// the ring. It does nothing when nobody sleeps there, and costs one
// submission when somebody does.
func (lane Lane) Wake() {
	s := lane.s
	if s == nil || !s.kwait.Load() || !s.wakeBusy.CompareAndSwap(false, true) {
		// Nobody asleep, or a NOP already on its way: the sleeper
		// checks again after reaping it, which is after our caller's
		// change.
		return
	}
	if s.l.enter() != nil {
		s.wakeBusy.Store(false)
		return // Close's cancel-all wakes everyone
	}
	defer s.l.leave()
	c := getOp(ring.OpNop)
	c.detached = true
	ops, idx := [1]*Op{c}, [1]uint32{s.wakeSlot}
	if !s.publish(ops[:], nil, idx[:], nil) {
		// Every other slot holds an SQE not yet submitted: whoever
		// submits them (a submitter seeing the sleeper, or the sleeper
		// itself) does so after our caller's change, and their
		// completions wake the sleeper.
		putOp(c)
		s.wakeBusy.Store(false)
		return
	}
	s.l.ctr().wakes.Add(1)
	s.combine()
}

// isClosing reports whether Close has begun.
func (l *Loop) isClosing() bool {
	select {
	case <-l.closing:
		return true
	default:
		return false
	}
}
