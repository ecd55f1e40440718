package sched

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
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
	// busy mirrors outstanding >= batchDepth for submitters, who read it
	// without the lock (see submit).
	busy  atomic.Bool
	efdOn bool // eventfd notifications enabled

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

	direct directTable // direct descriptor slots (fixedfiles_linux.go)
}

func newShard(l *Loop, entries uint32) (*shard, error) {
	r, err := newRing(entries, &ring.Params{Flags: ring.SetupClamp})
	if err != nil {
		return nil, err
	}
	if r.Features()&ring.FeatNoDrop == 0 || r.Features()&ring.FeatRWCurPos == 0 {
		r.Close()
		return nil, fmt.Errorf("io_uring: kernel lacks IORING_FEAT_NODROP or IORING_FEAT_RW_CUR_POS: %w", ring.ErrNotSupported)
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

// batchDepth is the number of ops in flight on a ring from which a
// submitter yields before entering, so that the others woken with it share
// its io_uring_enter. The yield holds each SQE back until the goroutines
// queued behind it have run: with a shallow queue that delay leaves the
// device short of requests and loses more than the shared enter saves;
// with a deep one (many goroutines per ring) it cuts the enters and the
// CPU per op at no loss.
const batchDepth = 32

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// shardHere picks the ring of the P the caller runs on. The goroutine may
// migrate right after; the index is only an affinity hint that spreads
// submitters over the rings without shared counters.
func (l *Loop) shardHere() *shard {
	if len(l.shards) == 1 {
		return l.shards[0]
	}
	p := procPin()
	procUnpin()
	return l.shards[p%len(l.shards)]
}

// submit queues ops as one chain and waits for all their completions.
func (s *shard) submit(ctx context.Context, ops []*Op) error { return s.submitChains(ctx, ops, nil) }

// submitChains queues ops, linked one to the next except after an op whose
// ends entry is true (nil ends: one chain), and waits for all their
// completions. All are published before anyone enters, so one
// io_uring_enter carries them.
func (s *shard) submitChains(ctx context.Context, ops []*Op, ends []bool) error {
	if len(ops) > s.free.size {
		return fmt.Errorf("uring: chain of %d ops exceeds the ring's %d slots", len(ops), s.free.size)
	}
	var idxBuf [4]uint32
	idx := idxBuf[:0]
	if len(ops) > len(idxBuf) {
		idx = make([]uint32, 0, len(ops))
	}
	if len(ops) > 1 {
		s.chainMu.Lock()
	}
	for len(idx) < len(ops) {
		var waiting bool
		if idx, waiting = s.free.take(idx, len(ops)-len(idx), true); !waiting {
			continue
		}
		s.l.ctr().slotWaits.Add(1)
		select {
		case <-s.free.wake:
			s.free.unwait()
		case <-ctx.Done():
			s.free.unwait()
			return s.unclaim(idx, len(ops), ctx.Err())
		case <-s.l.closing:
			s.free.unwait()
			return s.unclaim(idx, len(ops), ErrClosed)
		}
	}
	if len(ops) > 1 {
		s.chainMu.Unlock()
	}

	// The ops of one submission share one completion signal: the last of
	// them to complete sends it on the first one's done channel.
	lead := ops[0]
	if len(ops) > 1 {
		lead.left.Store(int32(len(ops)))
	} else {
		lead = nil
	}
	s.sqMu.Lock()
	for k, op := range ops {
		if op.done == nil {
			op.done = make(chan struct{}, 1)
		}
		op.lead = lead
		sqe := s.r.NextSQE()
		if sqe == nil {
			// Every SQE holds a slot and there are no more slots than SQ
			// entries, so this is a bug, not a load condition.
			panic("sched: submission queue full with a free slot")
		}
		op.fill(sqe)
		op.ud = s.assign(idx[k], op)
		sqe.UserData = op.ud
		faultSQE(sqe, op)
		if k < len(ops)-1 && (ends == nil || !ends[k]) {
			sqe.Flags |= ring.SQEIOLink
		}
	}
	s.sqMu.Unlock()
	s.users.Add(1)
	s.pending.Add(int32(len(ops)))
	if s.busy.Load() {
		// Many completions are arriving: the reaper that woke us has
		// probably woken other submitters too, queued on this P behind us.
		// Letting them queue their SQEs before anyone enters turns their
		// separate io_uring_enter calls (and, in a VM, their separate
		// device notifications) into one. That costs the first of them
		// the time the others take to run, so it pays only with a deep
		// queue; see batchDepth. A lone caller never yields.
		runtime.Gosched()
	}
	s.combine()
	err := s.wait(ctx, ops)
	s.users.Add(-1)
	return err
}

// unclaim gives back the slots of a submission abandoned while it waited
// for more.
func (s *shard) unclaim(idx []uint32, nops int, err error) error {
	s.free.put(idx...)
	if nops > 1 {
		s.chainMu.Unlock()
	}
	return err
}

// assign binds op to slot i under a new generation and returns its user_data.
func (s *shard) assign(i uint32, op *Op) uint64 {
	sl := &s.slots[i]
	sl.gen++
	sl.op = op
	return uint64(sl.gen)<<32 | uint64(i)
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
		if ctx.Done() == nil && s.kernelWait(ops) {
			select {
			case <-s.l.closing:
				// Loop.Close cancelled the ops under us: report it as a
				// parked waiter would.
				ctxErr = ErrClosed
			default:
			}
			break
		}
		select {
		case <-done:
		case <-ctx.Done():
			ctxErr = ctx.Err()
		case <-s.l.closing:
			ctxErr = ErrClosed
		}
		if ctxErr != nil {
			// Which ops have completed is not known here; a cancel of one
			// that has (or of a slot since reused, under another
			// generation) fails harmlessly with ENOENT.
			s.cancel(ops)
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

// cancel submits an ASYNC_CANCEL for each op; ops already completed make the
// cancel fail with ENOENT, which is harmless. Generations make sure a cancel
// never hits an op that reused the slot. Each request is submitted before
// the next cancel slot is awaited: a slot comes back only when a submitted
// cancel completes.
func (s *shard) cancel(ops []*Op) {
	for _, op := range ops {
		s.submitCancel(op.ud, 0, -1)
		s.l.ctr().cancels.Add(1)
	}
}

// cancelAll asks the kernel to cancel every request on the ring (used by
// Loop.Close).
func (s *shard) cancelAll() {
	s.submitCancel(0, ring.AsyncCancelAny, -1)
}

// submitCancel queues one IORING_OP_ASYNC_CANCEL (of the request whose
// user_data is target, or as flags say: every request, or every request on
// fd) on a reserved cancel slot and submits it. The cancel is detached: the
// reaper recycles it, nobody waits for its CQE.
func (s *shard) submitCancel(target uint64, flags uint32, fd int32) {
	i := <-s.cancelFree
	c := getOp(ring.OpAsyncCancel)
	c.detached = true
	s.sqMu.Lock()
	sqe := s.r.NextSQE()
	if sqe == nil {
		panic("sched: submission queue full with a free cancel slot")
	}
	sqe.PrepAsyncCancel(target, flags)
	if flags&ring.AsyncCancelFd != 0 {
		sqe.Fd = fd
	}
	c.ud = s.assign(i, c)
	sqe.UserData = c.ud
	s.sqMu.Unlock()
	s.pending.Add(1)
	s.combine()
}

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
	return err == nil || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY)
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
			s.efd.SetReadDeadline(time.Now().Add(lostWakeupGuard))
			// A CQE posted before the flag was visible raised no signal.
			s.reapLocked()
		}
	}
	if s.outstanding.Load() == 0 && s.efdOn {
		s.efdOn = false
		s.r.SetEventfdEnabled(false)
	}
	s.busy.Store(s.outstanding.Load() >= batchDepth)
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
		if s.efdOn {
			s.efd.SetReadDeadline(time.Now().Add(lostWakeupGuard))
		} else {
			s.efd.SetReadDeadline(time.Time{})
		}
		s.enterMu.Unlock()
		s.combine()
	}
}

// close stops the worker and releases the ring. No call may be inside.
func (s *shard) close() error {
	s.efd.Close()
	<-s.workerDone
	s.direct.close(s.r)
	return s.r.Close()
}
