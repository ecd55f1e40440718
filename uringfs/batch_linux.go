package uringfs

// The Linux Batch engine: entries, their submission as one flight, and
// waiting on the batch's ring.

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// On Linux a Batch becomes one sched.Flight: every operation is one Op, a
// chain is a run of linked Ops, and each Op's completion is turned into its
// handle's result on the goroutine that reaped it. The rare cases that need
// more than one system call (a short read that is not end of file, EINTR)
// continue on a goroutine with the synchronous method, which knows how to
// finish them.

// entry is one operation of a batch.
type entry struct {
	h  pendingCtl
	op *sched.Op
	// start takes the references the op needs and reports whether it is to
	// be submitted; when not, it has completed the handle itself (an
	// argument error, or nothing to do), and failed tells which.
	start func(ctx context.Context, l *sched.Loop) (run bool)
	// end turns op.Res into the handle's result; it runs on the reaper.
	end func(ctx context.Context)
	// fail completes a started entry that will not run, with a raw error
	// (the submission failed, or an earlier op of its chain did).
	fail func(err error)
	// abort completes an entry that was never started, with a raw error.
	abort  func(err error)
	failed bool
	// install, if set, replaces h.installCancel (ReadFile cancels its
	// later steps too).
	install func(cancel func())
	rf      *readFileOp // set for a ReadFile
	// impl, if set, stands for start, end, fail and abort: an operation
	// that keeps its entry, op and handle in one allocation (LinkedFile's).
	impl entryImpl
	// solo is the group of an operation added outside a chain, one its
	// only entry (Batch.add).
	solo group
	one  [1]*entry
}

// entryImpl is an entry's behaviour as methods; see entry's fields of the
// same names.
type entryImpl interface {
	start(ctx context.Context, l *sched.Loop) bool
	end(ctx context.Context)
	fail(err error)
	abort(err error)
}

func newEntry[T any](p *Pending[T]) *entry { return &entry{h: p} }

func (e *entry) runStart(ctx context.Context, l *sched.Loop) bool {
	if e.impl != nil {
		return e.impl.start(ctx, l)
	}
	return e.start(ctx, l)
}

func (e *entry) runEnd(ctx context.Context) {
	if e.impl != nil {
		e.impl.end(ctx)
		return
	}
	e.end(ctx)
}

func (e *entry) runFail(err error) {
	if e.impl != nil {
		e.impl.fail(err)
		return
	}
	e.fail(err)
}

func (e *entry) runAbort(err error) {
	if e.impl != nil {
		e.impl.abort(err)
		return
	}
	e.abort(err)
}

// cancelCause is the error a cancelled operation reports: the context's,
// or context.Canceled for Pending.Cancel; nil if it was not cancelled.
func cancelCause[T any](ctx context.Context, p *Pending[T]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.cancelled.Load() {
		return context.Canceled
	}
	return nil
}

// interrupted reports whether res is an error after which the operation is
// retried or reported as cancelled rather than failed.
func interrupted(res int32) bool {
	return res == -int32(unix.EINTR) || res == -int32(unix.EAGAIN) || res == -int32(unix.ECANCELED)
}

// continueOn runs fn on a goroutine with a context that the handle's Cancel
// cancels: the synchronous method that fn calls finishes the operation.
func continueOn[T any](ctx context.Context, p *Pending[T], fn func(ctx context.Context)) {
	go func() {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.setCancel(cancel)
		fn(cctx)
	}()
}

// batchLane is the ring a batch's flights go to. Keeping them on one ring
// lets the batch's goroutine wait for them inside that ring's
// io_uring_enter and reap them itself (sched.Loop.Await), as fio does,
// instead of parking until the ring's worker wakes it: one wake-up by the
// kernel per completion batch instead of two goroutine wake-ups.
type batchLane = sched.Lane

// awaitKernel waits for ready inside the kernel on the batch's ring, if it
// can; false leaves the caller to park.
func (q *readyQueue) awaitKernel(ready func() bool) bool {
	if q.lane == (batchLane{}) {
		return false
	}
	l, err := loop()
	if err != nil {
		return false
	}
	q.sleeping.Add(1)
	ok := l.Await(q.lane, ready)
	q.sleeping.Add(-1)
	return ok
}

// awaitDone is awaitKernel until done is closed.
func (q *readyQueue) awaitDone(done <-chan struct{}) {
	select {
	case <-done:
		return // the common case in Wait: no closure to make
	default:
	}
	closed := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	q.awaitKernel(closed)
}

// initLane picks the batch's ring at its first Submit.
func (q *readyQueue) initLane() {
	if q.laneSet {
		return // completions of earlier submissions read lane: leave it be
	}
	q.laneSet = true
	if l, err := loop(); err == nil {
		q.lane = l.Lane()
	}
}

func (b *Batch) submit(ctx context.Context, groups []*group) error {
	// A done ctx is reported by Start, after the argument checks of start,
	// which come first in the synchronous methods too.
	l, err := loop()
	var ops []*sched.Op
	var links []bool
	var ents []*entry
	for _, g := range groups {
		broken, first := false, len(ops)
		for _, e := range g.entries {
			switch {
			case err != nil:
				e.runAbort(err)
			case broken:
				e.runAbort(unix.ECANCELED)
			case !e.runStart(ctx, l):
				broken = g.chain && e.failed
			default:
				ops = append(ops, e.op)
				links = append(links, g.chain)
				ents = append(ents, e)
			}
		}
		if len(ops) > first {
			links[len(links)-1] = false // a chain ends with its group
		}
	}
	if err != nil {
		return err
	}
	if ctx.Done() != nil {
		var ms []*readFileOp
		for _, e := range ents {
			if e.rf != nil {
				ms = append(ms, e.rf)
			}
		}
		if len(ms) > 0 {
			g := &readFileGroup{}
			g.left.Store(int32(len(ms)))
			for _, m := range ms {
				m.group = g
			}
			g.stop = context.AfterFunc(ctx, func() {
				for _, m := range ms {
					m.cancelStep()
				}
			})
		}
	}
	for _, e := range ents {
		if e.rf != nil {
			e.rf.lane = b.queue.lane
		}
	}
	fl, err := l.StartOn(ctx, b.queue.lane, ops, links, func(i int) { ents[i].runEnd(ctx) })
	if err != nil {
		for _, e := range ents {
			e.runFail(err)
		}
		return err
	}
	refs := make([]cancelRef, len(ents))
	for i, e := range ents {
		refs[i] = cancelRef{op: fl, i: i}
		if e.install != nil {
			e.install(refs[i].cancel)
		} else {
			e.h.installCancel(&refs[i])
		}
	}
	return nil
}
