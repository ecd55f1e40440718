package sched

// Many operations in flight from one goroutine
//
// Do and Chain park the caller until the kernel is done, which keeps one
// operation in flight per goroutine. Start does not wait: it queues a whole
// set of operations, publishes as many SQEs as the ring has free slots for
// in one flat-combining pass (so one io_uring_enter carries them all), and
// returns a Flight. Completions are signalled by whoever reaps the CQE (the
// submitter inline, or the ring's worker): an atomic count and a closed
// channel, no goroutine per operation. Operations that did not fit in the
// ring's free slots are fed to it by one goroutine per Flight as slots free
// up: the submitter never spins and never deadlocks on a full ring.
//
// On the syscall backend (and for opcodes the kernel's probe lacks) the same
// API runs the operations on a bounded set of goroutines: at most
// PoolSize() system calls of all Flights run at once. Operations that can
// block indefinitely (pipes, FIFOs) hold a place while they block, so many
// of them in flight at once delay the others until they return.
//
// The buffer-liveness invariant holds as for Do: an Op and everything it
// references belong to the kernel from Start until its completion is
// signalled, also after Cancel; a cancelled operation is reported done only
// once its CQE has been reaped.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Flight is a set of operations started by Loop.Start. Its methods are safe
// for concurrent use.
type Flight struct {
	l      *Loop
	s      *shard // the ring the flight submits to; nil on the syscall path
	ops    []*Op
	chains []span // maximal linked runs of ops, in submission order
	notify func(i int)

	uds      []atomic.Uint64 // user_data of each op while it is in the ring, else 0
	opCancel []atomic.Bool   // CancelOp requests
	left     atomic.Int64    // ops whose completion has not been signalled
	// A flight of one op, the common case, keeps its per-op state here.
	ud1 [1]atomic.Uint64
	oc1 [1]atomic.Bool

	cancelOnce sync.Once
	cancelled  atomic.Bool
	cause      atomic.Value // error: why the flight was cancelled

	// The channels are made only for those who ask: most flights are
	// followed through notify alone.
	mu       sync.Mutex
	finished bool
	done     chan struct{} // closed when finished
	cancelCh chan struct{} // closed by the first cancel

	next   int         // first chain not yet handed to the ring (Start, then the feeder)
	stopFn func() bool // stops the context.AfterFunc, if one was registered

	// Chains with Direct ops each run on a direct descriptor slot of the
	// ring, taken when the chain is handed to the ring and given back, empty,
	// once its last op has completed. Set only for flights with such chains.
	direct  []bool         // per chain: it has Direct ops
	dslot   []uint32       // per chain: its slot, once handed to the ring
	dleft   []atomic.Int32 // per chain: its ops not yet completed
	chainOf []int32        // per op: the index of its chain, or -1
}

// Start submits ops without waiting for them and returns a Flight that
// tracks their completions. If links is not nil it has one entry per op:
// links[i] links ops[i] to ops[i+1] (IOSQE_IO_LINK), so that ops[i+1]
// starts only after ops[i] succeeded and a failure (or a short read or
// write) completes the rest of the chain with -ECANCELED, as io_uring does.
//
// A chain with Direct ops runs on a direct descriptor slot of its own, as
// with ChainDirect: its OPENAT opens into the slot and the ops after it use
// the file there, which never enters the process's descriptor table. The
// slot is emptied (closed, if the chain did not close it) once the chain's
// last op has completed. Chains wait for a free slot (a ring has 256) as
// they wait for SQ slots. On the pool a plain descriptor stands in for the
// slot, opened with O_CLOEXEC and closed at the end of the chain.
//
// notify, if not nil, is called once for each op, with its index, when its
// result is in ops[i].Res. It runs on the goroutine that reaped the
// completion, which may be the ring's worker or a submitter holding the
// ring: it must be quick and must not block, nor wait for another operation
// or call Flight.Cancel. It may call Start.
//
// The ops and the memory they reference (buffers, Statx, OpenHow) must not
// be touched until their completion has been signalled (notify, or
// Flight.Done for all of them).
//
// Cancelling ctx cancels the flight as Flight.Cancel does. The returned
// error is for the call, not for any op: ErrClosed, ctx's error if it is
// already done, or an argument error; then no op was started. An op whose
// arguments the kernel could never accept (a path with a NUL byte) completes
// with -EINVAL without being submitted, and the rest of its chain with
// -ECANCELED.
func (l *Loop) Start(ctx context.Context, ops []*Op, links []bool, notify func(i int)) (*Flight, error) {
	return l.StartOn(ctx, Lane{}, ops, links, notify)
}

// StartOn is Start on lane's ring (the caller's, for the zero Lane), so
// that a goroutine can wait for the flight's completions there with Await.
func (l *Loop) StartOn(ctx context.Context, lane Lane, ops []*Op, links []bool, notify func(i int)) (*Flight, error) {
	if links != nil && len(links) != len(ops) {
		return nil, fmt.Errorf("uring: Start: %d links for %d ops", len(links), len(ops))
	}
	for _, op := range ops {
		if op == nil || !known(op.Code) {
			return nil, fmt.Errorf("uring: Start: opcode not supported by the loop")
		}
	}
	if err := l.admit(ctx); err != nil {
		return nil, err
	}
	defer l.leave()

	f := &Flight{l: l, ops: ops, notify: notify}
	if len(ops) == 1 {
		f.uds, f.opCancel = f.ud1[:], f.oc1[:]
	} else {
		f.uds, f.opCancel = make([]atomic.Uint64, len(ops)), make([]atomic.Bool, len(ops))
	}
	// Chains, cut where an op cannot be prepared.
	var failed []int
	for a := 0; a < len(ops); {
		b := a + 1
		for links != nil && links[b-1] && b < len(ops) {
			b++
		}
		end := b
		for k := a; k < b; k++ {
			// A Direct op is checked as if armed: its slot comes later.
			ops[k].armed = ops[k].Direct
			perr := ops[k].prepare()
			ops[k].armed = false
			if perr != nil {
				ops[k].Res = -int32(unix.EINVAL)
				failed = append(failed, k)
				for r := k + 1; r < b; r++ {
					ops[r].Res = -int32(unix.ECANCELED)
					failed = append(failed, r)
				}
				end = k
				break
			}
		}
		if end > a {
			f.chains = append(f.chains, span{a, end})
		}
		a = b
	}

	hasDirect := f.markDirect()
	pool := l.backend == BackendSyscall || !l.allSupported(ops)
	if !pool {
		if f.s = lane.s; f.s == nil || f.s.l != l {
			f.s = l.shardHere()
		}
		for _, c := range f.chains {
			if c.end-c.start > f.s.free.size {
				return nil, fmt.Errorf("uring: chain of %d ops exceeds the ring's %d slots", c.end-c.start, f.s.free.size)
			}
		}
		if hasDirect && !f.s.directReady() {
			// No direct descriptors here (an old kernel, a table the ring
			// could not register): the pool runs the chains with plain
			// descriptors instead.
			f.s, pool = nil, true
		}
	}

	// The flight holds the loop open until its last completion, so that
	// Close waits for it.
	l.state.Add(1)
	l.ctr().ops.Add(uint64(len(ops)))
	f.left.Store(int64(len(ops)) + 1) // +1 held until Start is done with f
	if ctx.Done() != nil {
		f.stopFn = context.AfterFunc(ctx, func() { f.cancel(ctx.Err(), true) })
	}
	for _, i := range failed {
		f.complete(i)
	}

	if pool {
		if l.backend == BackendURing {
			l.countFallbacks(ops)
		}
		f.runPool()
	} else {
		f.feed(false)
		if f.next < len(f.chains) {
			l.state.Add(1) // the feeder's own reference: it touches the ring
			go f.feeder()
		}
		select {
		case <-l.closing:
			// Close may have run its cancel-all before these SQEs were
			// published: cancel them ourselves (without blocking: Start may
			// run on a reaper).
			f.cancel(ErrClosed, false)
		default:
		}
	}
	f.release()
	return f, nil
}

// Done returns a channel that is closed when every op of the flight has
// completed.
func (f *Flight) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = make(chan struct{})
		if f.finished {
			close(f.done)
		}
	}
	return f.done
}

// Wait waits for every op of the flight and returns Err.
func (f *Flight) Wait() error {
	<-f.Done()
	return f.Err()
}

// cancelChan returns a channel closed once the flight is cancelled.
func (f *Flight) cancelChan() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancelCh == nil {
		f.cancelCh = make(chan struct{})
		if f.cancelled.Load() {
			close(f.cancelCh)
		}
	}
	return f.cancelCh
}

// Err returns, once the flight is done, why it was cut short: the context's
// error, ErrClosed or context.Canceled (Cancel), if the flight was cancelled
// and at least one op ended with -ECANCELED or -EINTR. Otherwise, and before
// the flight is done, it returns nil; op results are in each op's Res.
func (f *Flight) Err() error {
	f.mu.Lock()
	finished := f.finished
	f.mu.Unlock()
	if !finished || !f.cancelled.Load() {
		return nil
	}
	for _, op := range f.ops {
		if op.Res == -int32(unix.ECANCELED) || op.Res == -int32(unix.EINTR) {
			return f.cause.Load().(error)
		}
	}
	return nil
}

// Cancel asks the kernel to cancel every op of the flight that has not
// completed, and drops the ones not yet submitted (they complete with
// -ECANCELED). It does not wait: the ops still complete, each with
// -ECANCELED or -EINTR or, if it finished first, its own result, and Done is
// closed only after the last of them.
func (f *Flight) Cancel() { f.cancel(context.Canceled, true) }

// Cancelled reports whether the flight has been cancelled (Cancel, its
// context, or the loop's Close).
func (f *Flight) Cancelled() bool { return f.cancelled.Load() }

// CancelOp is Cancel for ops[i] alone. Cancelling an op of a chain
// completes the rest of the chain with -ECANCELED, as any failure does.
func (f *Flight) CancelOp(i int) {
	if i < 0 || i >= len(f.ops) {
		return
	}
	f.opCancel[i].Store(true)
	if f.s == nil {
		return // the pool checks the flag before it runs the op
	}
	if ud := f.uds[i].Load(); ud != 0 {
		f.s.cancelUDs([]uint64{ud}, true)
	}
}

func (f *Flight) cancel(cause error, mayBlock bool) {
	f.cancelOnce.Do(func() {
		f.cause.Store(cause)
		f.mu.Lock()
		f.cancelled.Store(true)
		if f.cancelCh != nil {
			close(f.cancelCh)
		}
		f.mu.Unlock()
	})
	if f.s == nil {
		return
	}
	var uds []uint64
	for i := range f.uds {
		if ud := f.uds[i].Load(); ud != 0 {
			uds = append(uds, ud)
		}
	}
	f.s.cancelUDs(uds, mayBlock)
}

// complete signals the completion of ops[i]; the reaper calls it.
func (f *Flight) complete(i int) {
	f.uds[i].Store(0)
	if f.chainOf != nil && f.s != nil {
		if c := f.chainOf[i]; c >= 0 && f.direct[c] && f.dleft[c].Add(-1) == 0 {
			// The chain's last CQE: the kernel is done with its slot.
			sp := f.chains[c]
			f.s.emptyDirect(f.dslot[c], f.ops[sp.start:sp.end])
		}
	}
	if f.notify != nil {
		f.notify(i)
	}
	f.release()
}

// release drops one count of left; the last one finishes the flight.
func (f *Flight) release() {
	if f.left.Add(-1) != 0 {
		return
	}
	if f.stopFn != nil {
		f.stopFn()
	}
	f.mu.Lock()
	f.finished = true
	if f.done != nil {
		close(f.done)
	}
	f.mu.Unlock()
	f.l.leave()
}
