package sched

// A shard is one io_uring instance with the worker that reaps its
// completions when no submitter is there to do it. A goroutine submits to
// the ring of the P it runs on, set up when that P first submits
// (shardHere).

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// cancelSlots are slots kept for ASYNC_CANCEL requests, so that cancelling
// never waits behind the very operations it is meant to cancel. Small rings
// keep a quarter of their entries (at least one) instead.
const cancelSlots = 8

// lostWakeupGuard bounds how long a completion can sit unreaped if the
// kernel posts it in the instant between our CQ check and our re-enabling of
// the eventfd. It only arms while operations are outstanding.
const lostWakeupGuard = 10 * time.Millisecond

type slot struct {
	op  *Op
	gen uint32
	// flight, when set, is told of the completion instead of op.done
	// (Loop.Start); fidx is the op's index in it.
	flight *Flight
	fidx   int
}

// shard is one ring with its worker.
type shard struct {
	l *Loop
	r *ring.Ring

	// sqMu guards the producer side of the SQ (NextSQE, Flush) and slot
	// assignment.
	sqMu sync.Mutex
	// enterMu is held by the one goroutine submitting to and reaping from the
	// ring: io_uring_enter, the CQ consumer side, outstanding and efdOn.
	enterMu sync.Mutex
	// pending counts SQEs prepared since the last flush. Whoever increments
	// it then tries enterMu; whoever releases enterMu checks it again, so an
	// SQE is never left unsubmitted.
	pending atomic.Int32

	// outstanding counts SQEs submitted whose CQE has not been reaped.
	// The enterMu holder changes it, and so does a submitter that finds
	// a kernel waiter holding enterMu (submitAside).
	outstanding atomic.Int64
	// kwait is set while the enterMu holder sleeps in io_uring_enter
	// for its own completions (kernelWait).
	kwait atomic.Bool
	// users counts goroutines between publishing a submission and
	// returning from its wait: kernelWait is for a goroutine alone on
	// the shard (see there).
	users atomic.Int32
	// owners counts the holders of flights in flight on the shard
	// (Lane.AddOwner), waiters the goroutines waiting for such flights,
	// parked or not (Lane.BeginWait): Await sleeps in the kernel only for
	// a goroutine alone on both counts.
	owners, waiters atomic.Int32
	efdOn           bool // eventfd notifications enabled

	slots      []slot
	free       *slotPool   // free op slots; waiting here is the backpressure
	cancelFree chan uint32 // free cancel slots
	// wakeSlot is Lane.Wake's, one beyond the SQ's size: its NOP may find
	// the SQ full (see Wake). wakeBusy is set while that NOP is in the
	// ring.
	wakeSlot uint32
	wakeBusy atomic.Bool
	chainMu  sync.Mutex // serialises multi-slot acquisition (no deadlock)
	// freed collects the op slots a reap frees, given back to free in one
	// put at its end. enterMu guards it.
	freed []uint32

	efd        *os.File
	workerDone chan struct{}
	// guardAt is the read deadline set on efd (zero: none); enterMu
	// guards it.
	guardAt time.Time

	direct directTable // direct descriptor slots (fixedfiles_linux.go)
}

func newShard(l *Loop, entries uint32) (*shard, error) {
	r, err := newRing(entries, &ring.Params{Flags: ring.SetupClamp})
	if err != nil {
		return nil, err
	}
	if err := ringFeatures(r); err != nil {
		r.Close()
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := r.RegisterEventfd(efd, false); err != nil {
		unix.Close(efd)
		r.Close()
		return nil, fmt.Errorf("io_uring register eventfd: %w", err)
	}
	r.SetEventfdEnabled(false)
	n := r.SQEntries()
	nc := max(1, min(cancelSlots, n/4))
	if n <= nc {
		r.Close()
		unix.Close(efd)
		return nil, fmt.Errorf("io_uring: SQ of %d entries is too small", n)
	}
	s := &shard{
		l:          l,
		r:          r,
		slots:      make([]slot, n+1),
		free:       newSlotPool(0, n-nc),
		cancelFree: make(chan uint32, nc),
		wakeSlot:   n,
		workerDone: make(chan struct{}),
	}
	for i := n - nc; i < n; i++ {
		s.cancelFree <- i
	}
	// A non-blocking fd handed to os.NewFile is registered with the runtime
	// poller, so the worker's Read parks in epoll rather than in a thread.
	s.efd = os.NewFile(uintptr(efd), "io_uring-eventfd")
	go s.worker()
	return s, nil
}

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// shardHere picks the ring of the P the caller runs on, setting it up if
// this is the P's first submission: a program that touches a few files
// from one goroutine has one ring, and a busy one a ring per P at work.
// The goroutine may migrate right after; the index is only an affinity
// hint that spreads submitters over the rings without shared counters.
// Sharing one ring among Ps would let more goroutines share an
// io_uring_enter, but its submit lock and counters then bounce between
// CPUs, and the kernel runs one ring's submissions one at a time, which
// cost more than the shared enters saved.
func (l *Loop) shardHere() *shard {
	i := 0
	if len(l.shards) > 1 {
		i = procPin() % len(l.shards)
		procUnpin()
	}
	if s := l.shards[i].Load(); s != nil {
		return s
	}
	return l.setUp(i)
}

// setUp gives P slot i its ring: the one New set up if no P has it yet,
// else a new one. If that fails (fd or memory limits, or Close has begun)
// it returns a ring that exists, and the loop keeps the rings it has.
func (l *Loop) setUp(i int) *shard {
	l.setUpMu.Lock()
	defer l.setUpMu.Unlock()
	if s := l.shards[i].Load(); s != nil {
		return s
	}
	if l.firstFree.Load() {
		// Cleared first: each may miss the ring for an instant, never
		// count it twice.
		l.firstFree.Store(false)
		l.shards[i].Store(l.first)
		return l.first
	}
	if l.setUpFailed.Load() || l.state.Load()&loopClosedBit != 0 {
		// Close may be releasing the rings: set up none behind it.
		return l.first
	}
	s, err := newShard(l, l.entries)
	if err != nil {
		l.setUpFailed.Store(true)
		return l.first
	}
	l.shards[i].Store(s)
	return s
}

// worker reaps completions that arrive after their submitter parked. It
// sleeps in the netpoller on the ring's eventfd.
func (s *shard) worker() {
	defer close(s.workerDone)
	var buf [8]byte
	for {
		_, err := s.efd.Read(buf[:])
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return // closed
		}
		s.l.ctr().wakeups.Add(1)
		s.enterMu.Lock()
		s.turnLocked()
		s.guard(s.efdOn)
		s.enterMu.Unlock()
		s.combine()
	}
}

// guard arms the lost wake-up guard on the eventfd (on) or disarms it. An
// armed deadline is moved only once half of it has passed: setting one
// takes a lock and a timer update in the runtime, and the worker would
// otherwise pay them at every wake-up.
func (s *shard) guard(on bool) {
	switch {
	case on:
		now := time.Now()
		if s.guardAt.IsZero() || s.guardAt.Sub(now) < lostWakeupGuard/2 {
			s.guardAt = now.Add(lostWakeupGuard)
			s.efd.SetReadDeadline(s.guardAt)
		}
	case !s.guardAt.IsZero():
		s.guardAt = time.Time{}
		s.efd.SetReadDeadline(time.Time{})
	}
}

// close stops the worker and releases the ring. No call may be inside.
func (s *shard) close() error {
	s.efd.Close()
	<-s.workerDone
	s.direct.close(s.r)
	return s.r.Close()
}
