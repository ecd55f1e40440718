package uringfs

// Pending, the handle of one operation in flight, and how it is cancelled
// and completed.

import (
	"sync/atomic"
)

// Handle is what every Pending implements, whatever its result type, so
// that handles of different operations can be collected, compared with ==
// and returned by Batch.WaitAny.
type Handle interface {
	// Done returns a channel closed when the operation has completed.
	Done() <-chan struct{}
	// Cancel asks for the operation to be cancelled; see Pending.Cancel.
	Cancel()
	// Err waits for the operation and returns its error, as Wait does.
	Err() error
}

// Pending is an operation in flight and, once it is done, its result: the
// handle that the Async functions and the add methods of Batch return. Its
// methods are safe for concurrent use.
//
// A buffer given to an asynchronous read or write belongs to the kernel
// from the call until the handle is done (Done is closed, Wait returns): do
// not read, write or reuse it before. After that nothing touches it again,
// also when the operation was cancelled, because a cancelled operation is
// reported done only once the kernel has confirmed that it stopped. The
// same holds for the File an operation uses: Close waits for the
// operations in flight on it.
//
// On the io_uring backend a Pending costs no goroutine while it waits: its
// completion is recorded by whoever reaps it from the ring.
type Pending[T any] struct {
	done      chan struct{}
	val       T
	err       error
	cancelled atomic.Bool
	cancelFn  atomic.Pointer[cancelRef]  // how to cancel what is in flight now
	queue     atomic.Pointer[readyQueue] // the batch's completion queue, once submitted
}

func newPending[T any]() *Pending[T] { return &Pending[T]{done: make(chan struct{})} }

// donePending returns a Pending that is already done, for operations that
// fail before they start.
func donePending[T any](v T, err error) *Pending[T] {
	p := newPending[T]()
	p.finish(v, err)
	return p
}

// Done returns a channel that is closed when the operation has completed
// and its result is available. It composes with select.
func (p *Pending[T]) Done() <-chan struct{} { return p.done }

// Wait waits for the operation to complete and returns its result and
// error, the same ones the synchronous method would have returned (ReadAt's
// io.EOF on a short read, *fs.PathError with the method's Op name, ...). An
// operation that was cancelled before it completed returns an error
// wrapping context.Canceled, or the error of the context that cancelled
// it; one that completed before the cancellation took effect returns its
// result.
func (p *Pending[T]) Wait() (T, error) {
	p.await()
	return p.val, p.err
}

// Err waits for the operation and returns its error.
func (p *Pending[T]) Err() error {
	p.await()
	return p.err
}

// await waits for the operation, inside the kernel on its batch's ring
// if it can (see readyQueue.awaitKernel).
func (p *Pending[T]) await() {
	select {
	case <-p.done:
		return
	default:
	}
	if q := p.queue.Load(); q != nil {
		q.lane.BeginWait()
		defer q.lane.EndWait()
		q.awaitDone(p.done)
	}
	<-p.done
}

// Cancel asks for the operation to be cancelled. It does not wait: the
// operation still completes, and its buffer stays the kernel's until Done
// is closed. Cancelling a completed operation does nothing. In a linked
// chain, a cancelled operation fails the rest of the chain.
func (p *Pending[T]) Cancel() {
	if p.cancelled.Swap(true) {
		return
	}
	if c := p.cancelFn.Load(); c != nil {
		c.cancel()
	}
}

// cancelRef is how to cancel what a Pending has in flight: fn, or else
// op i of the flight op. A batch's submission makes its refs in one slice,
// rather than a closure for each operation.
type cancelRef struct {
	fn func()
	op opCanceller
	i  int
}

// opCanceller cancels one operation of a set submitted together.
type opCanceller interface{ CancelOp(i int) }

func (c *cancelRef) cancel() {
	if c.fn != nil {
		c.fn()
	} else if c.op != nil {
		c.op.CancelOp(c.i)
	}
}

// setCancel installs fn as the way to cancel what is in flight now, and
// calls it if Cancel came first.
func (p *Pending[T]) setCancel(fn func()) {
	p.cancelFn.Store(&cancelRef{fn: fn})
	if p.cancelled.Load() {
		fn()
	}
}

// installCancel installs c unless another way is installed already (a
// continuation that overtook the submitter) or the operation is done, and
// calls it if Cancel came first.
func (p *Pending[T]) installCancel(c *cancelRef) {
	if p.cancelFn.CompareAndSwap(nil, c) && p.cancelled.Load() {
		c.cancel()
	}
}

// noCancel is the cancelRef of a finished operation.
var noCancel = &cancelRef{}

// pendingCtl is what a batch needs of a Pending of any result type.
type pendingCtl interface {
	Handle
	// setQueue makes the handle report its completion to q.
	setQueue(q *readyQueue)
	// installCancel sets how to cancel the operation once submitted.
	installCancel(c *cancelRef)
}

func (p *Pending[T]) setQueue(q *readyQueue) { p.queue.Store(q) }

func (p *Pending[T]) finish(v T, err error) {
	p.val, p.err = v, err
	p.cancelFn.Store(noCancel)
	close(p.done)
	if q := p.queue.Load(); q != nil {
		q.push(p)
	}
}
