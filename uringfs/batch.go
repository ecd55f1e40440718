package uringfs

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
)

// Operations in flight without a goroutine each
//
// With os, a goroutine has one operation in flight: to keep 64 reads going
// a program runs 64 goroutines, and while they block, up to 64 OS threads.
// The io_uring loop needs neither. The Async methods (File.ReadAtAsync,
// File.WriteAtAsync, OpenFileAsync, StatAsync, ReadFileAsync) start an
// operation and return at once with a *Pending handle; a Batch queues many
// operations, optionally in linked chains, and submits them together with
// one io_uring_enter (a chain can open a file for its own later steps:
// Batch.OpenLinked); ReadFiles reads many files with their opens, reads and
// closes in flight together. On the io_uring backend no goroutine is spent
// per operation: the completion is signalled by whoever reaps it. On the
// syscall backend, and on systems other than Linux, the same API runs the
// operations on a bounded set of goroutines with the same results.
//
// Buffer ownership: a buffer passed to an asynchronous read or write belongs
// to the kernel from the call until the handle is done (Done is closed,
// Wait returns). Do not read, write or reuse it before. Once the handle is
// done, the kernel and this package are finished with it for good: nothing
// writes into it after Wait returns, also when the operation was cancelled,
// since a cancelled operation is reported done only after the kernel
// confirmed that it stopped.

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

// Batch collects operations and submits them together: on io_uring, one
// io_uring_enter carries all of them (as far as the ring has room; the rest
// follow as slots free up). Add operations, optionally in chains, then
// Submit; then Wait for all of them, or WaitAny for them one at a time in
// the order they complete.
//
// A Batch can be reused as a completion queue: operations added after a
// Submit go out with the next Submit, and WaitAny returns handles of every
// submission. Keeping 64 reads in flight is: add 64, Submit, then for each
// handle WaitAny returns, add one read and Submit again.
//
// Use a Batch (adding, Submit, Wait, WaitAny) from one goroutine at a time;
// the handles it returns are safe to use from any goroutine.
type Batch struct {
	groups []*group // added since the last Submit; a group is one op or a chain
	parent *Batch   // set for a chain
	chain  *group   // the chain's group, for a chain

	seq     uint64
	waiting map[Handle]waitInfo // added, not yet returned by WaitAny or Wait
	live    int                 // submitted handles in waiting
	queue   readyQueue
}

type waitInfo struct {
	seq       uint64
	submitted bool
}

// group is an operation, or a chain of them linked one to the next.
type group struct {
	entries   []*entry
	chain     bool
	submitted bool
	linked    *LinkedFile // the file the chain opened, if it did
}

// LinkedFile is a file that a chain opens for the operations that follow
// the open in that chain, so that open, read and close (or open, write,
// sync and close) go to the kernel together as one linked chain, in one
// io_uring_enter, and a failed step cancels the rest as every chain does.
// On io_uring the file never enters the process's descriptor table: it
// lives in a direct descriptor slot of the ring for as long as the chain
// runs. It cannot outlive its chain: when the chain ends, however it ends,
// the file is closed if the chain did not close it. Use OpenFile for a File
// to keep.
//
// Its methods add operations to the chain it was opened in, after those
// already there, and must be called before the batch's Submit. Their
// handles report what the File methods of the same name report (errors
// are *fs.PathError with the name given to OpenLinked), with one
// difference that linking brings: a write that transfers less than asked
// ends the chain instead of being continued, and reports io.ErrShortWrite.
type LinkedFile struct {
	chain  *Batch // the chain it was opened in
	name   string
	flag   int
	opened *Pending[struct{}]
	file   *File // the open file, where a goroutine runs the chain (batch_other.go)
}

// Opened returns the handle of the open: it fails as OpenFile would.
func (lf *LinkedFile) Opened() *Pending[struct{}] { return lf.opened }

// Name returns the name given to OpenLinked.
func (lf *LinkedFile) Name() string { return lf.name }

// linkIn records lf as the file of its chain b, which may open only one.
func (b *Batch) linkIn(lf *LinkedFile) {
	if b.chain == nil {
		panic("uringfs: OpenLinked called on a batch; call it on a chain (Batch.Chain)")
	}
	if b.chain.linked != nil {
		panic("uringfs: a chain opens at most one LinkedFile")
	}
	b.chain.linked = lf
	lf.chain = b
}

// readyQueue holds completed handles until WaitAny takes them. Completions
// append under a short lock and never wait, whoever reaps them.
type readyQueue struct {
	mu     sync.Mutex
	items  []Handle
	signal chan struct{} // a token when items may be non-empty
	// lane is the ring the batch's flights go to, chosen at its first
	// Submit; the batch's goroutine waits for them there (awaitKernel).
	lane    batchLane
	laneSet bool // lane was picked (by the batch's goroutine)
	// sleeping counts the goroutines that may be asleep in the kernel
	// waiting for the lane's completions (WaitAny, or Wait on a handle):
	// a completion that reaches the queue another way must then wake
	// them.
	sleeping atomic.Int32
	ready    func() bool // nonEmpty, made once
	// inflight counts the submitted operations not yet completed; while
	// there are any, the queue is one of its lane's owners.
	inflight atomic.Int32
}

// addInflight counts n operations about to be submitted.
func (q *readyQueue) addInflight(n int32) {
	if q.inflight.Add(n) == n {
		q.lane.AddOwner()
	}
}

func newReadyQueue(q *readyQueue) {
	q.signal = make(chan struct{}, 1)
	q.ready = q.nonEmpty
}

func (q *readyQueue) push(h Handle) {
	q.mu.Lock()
	q.items = append(q.items, h)
	q.mu.Unlock()
	if q.inflight.Add(-1) == 0 {
		q.lane.DropOwner()
	}
	select {
	case q.signal <- struct{}{}:
	default:
	}
	if q.sleeping.Load() > 0 {
		// The sleeper itself reaps with its flag down: this is a
		// completion from elsewhere (another ring, a goroutine).
		q.lane.Wake()
	}
}

func (q *readyQueue) nonEmpty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) > 0
}

func (q *readyQueue) pop() Handle {
	if h, ok := q.tryPop(); ok {
		return h
	}
	q.lane.BeginWait()
	defer q.lane.EndWait()
	for {
		if h, ok := q.tryPop(); ok {
			return h
		}
		if !q.awaitKernel(q.ready) {
			<-q.signal
		}
	}
}

func (q *readyQueue) tryPop() (Handle, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, false
	}
	h := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return h, true
}

func (q *readyQueue) reset() {
	q.mu.Lock()
	q.items = nil
	q.mu.Unlock()
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	b := &Batch{waiting: make(map[Handle]waitInfo)}
	newReadyQueue(&b.queue)
	return b
}

// Chain returns a chain inside b: operations added to it run one after
// another, each starting only when the previous one succeeded, and a
// failure (an error, or a read or write that transferred less than asked)
// completes the rest of the chain with an error wrapping syscall.ECANCELED,
// as io_uring links do. A typical chain is WriteAt then Sync. The chain is
// submitted with b's next Submit, at the place in b where Chain was called;
// it has no Submit, Wait or WaitAny of its own, and takes no operations
// after that Submit.
func (b *Batch) Chain() *Batch {
	c := &chainBox{}
	c.g.chain = true
	c.g.entries = c.first[:0]
	root := b.root()
	root.groups = append(root.groups, &c.g)
	c.b.parent, c.b.chain = root, &c.g
	return &c.b
}

// chainBox is a chain's Batch and group in one allocation, with room for
// the entries of a short chain.
type chainBox struct {
	b     Batch
	g     group
	first [4]*entry
}

func (b *Batch) root() *Batch {
	if b.parent != nil {
		return b.parent
	}
	return b
}

// add records e, whose handle is h.
func (b *Batch) add(e *entry, h Handle) {
	root := b.root()
	if b.chain != nil {
		if b.chain.submitted {
			panic("uringfs: operation added to a chain whose batch was submitted")
		}
		b.chain.entries = append(b.chain.entries, e)
	} else {
		// A lone operation is its own group, kept in its entry.
		e.one[0] = e
		e.solo.entries = e.one[:]
		root.groups = append(root.groups, &e.solo)
	}
	root.seq++
	root.waiting[h] = waitInfo{seq: root.seq}
}

// Len returns the number of operations added to b and not yet submitted.
func (b *Batch) Len() int {
	n := 0
	for _, g := range b.root().groups {
		n += len(g.entries)
	}
	return n
}

// Submit starts the operations added since the previous Submit and returns
// without waiting for them. Cancelling ctx cancels every one of them; each
// still completes (with an error wrapping ctx.Err() if it had not
// finished), and Wait returns only after all of them. The error is for the
// submission as a whole (a closed loop, a done ctx); then each of its
// handles is done with that error too.
func (b *Batch) Submit(ctx context.Context) error {
	if b.parent != nil {
		return errors.New("uringfs: Submit called on a chain; submit its batch")
	}
	groups := b.groups
	b.groups = nil
	if len(groups) == 0 {
		return nil
	}
	b.queue.initLane()
	n := 0
	for _, g := range groups {
		n += len(g.entries)
	}
	// Counted before any can complete: each completion uncounts one.
	b.queue.addInflight(int32(n))
	for _, g := range groups {
		g.submitted = true
		for _, e := range g.entries {
			e.h.setQueue(&b.queue)
			w := b.waiting[e.h]
			w.submitted = true
			b.waiting[e.h] = w
			b.live++
		}
	}
	return b.submit(ctx, groups)
}

// Wait waits for every submitted operation of b that WaitAny has not
// returned and returns the first error among them in the order they were
// added (nil if all succeeded; note that a ReadAt that reached end of file
// reports io.EOF). WaitAny does not return them afterwards.
func (b *Batch) Wait() error {
	type item struct {
		h   Handle
		seq uint64
	}
	var items []item
	for h, w := range b.waiting {
		if w.submitted {
			items = append(items, item{h, w.seq})
		}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	var first error
	b.queue.lane.BeginWait()
	defer b.queue.lane.EndWait()
	for _, it := range items {
		done := it.h.Done()
		b.queue.awaitDone(done)
		<-done
		if err := it.h.Err(); err != nil && first == nil {
			first = err
		}
		delete(b.waiting, it.h)
	}
	b.live -= len(items)
	if b.live == 0 {
		// Every submitted handle is done and accounted for: what the queue
		// still holds is stale.
		b.queue.reset()
	}
	return first
}

// WaitAny waits for the next submitted operation of b to complete and
// returns its handle: successive calls return every handle once, in the
// order the operations completed. Compare the result with the handles the
// add methods returned. It returns nil when no submitted operation is left
// to return.
func (b *Batch) WaitAny() Handle {
	if b.parent != nil {
		return nil
	}
	for b.live > 0 {
		h := b.queue.pop()
		if w, ok := b.waiting[h]; ok && w.submitted {
			delete(b.waiting, h)
			b.live--
			return h
		}
	}
	return nil
}

// Poll is WaitAny without the waiting: it returns the handle of a
// completed operation that WaitAny has not returned yet, or nil if none is
// ready to be returned. A handle's Done channel closes a moment before the
// handle becomes ready here, so Poll may return nil just after Done was
// seen closed; WaitAny has no such gap. A loop that keeps many operations in flight polls, adds one
// operation for each handle it got, and submits what it added before it
// waits, or after a few: since a waiting Batch reaps its own completions,
// how the refills are grouped matters little (BenchmarkAsyncRandReadDirect
// compares the groupings).
func (b *Batch) Poll() Handle {
	if b.parent != nil {
		return nil
	}
	for b.live > 0 {
		h, ok := b.queue.tryPop()
		if !ok {
			return nil
		}
		if w, ok := b.waiting[h]; ok && w.submitted {
			delete(b.waiting, h)
			b.live--
			return h
		}
	}
	return nil
}

// Cancel cancels every operation of b that is submitted and not yet
// returned by Wait or WaitAny; see Pending.Cancel.
func (b *Batch) Cancel() {
	for h, w := range b.root().waiting {
		if w.submitted {
			h.Cancel()
		}
	}
}

// ReadAtAsync starts f.ReadAt(p, off) and returns without waiting for it.
// The handle's Wait returns what ReadAt would have returned. p belongs to
// the kernel until the handle is done (see Pending). Cancelling ctx cancels
// the read.
func (f *File) ReadAtAsync(ctx context.Context, p []byte, off int64) *Pending[int] {
	b := NewBatch()
	h := b.ReadAt(f, p, off)
	b.Submit(ctx) // a failure is reported by h
	return h
}

// WriteAtAsync starts f.WriteAt(p, off) and returns without waiting for it.
// The handle's Wait returns what WriteAt would have returned. p belongs to
// the kernel until the handle is done. Cancelling ctx cancels the write.
func (f *File) WriteAtAsync(ctx context.Context, p []byte, off int64) *Pending[int] {
	b := NewBatch()
	h := b.WriteAt(f, p, off)
	b.Submit(ctx)
	return h
}

// OpenFileAsync starts OpenFile(name, flag, perm) and returns without
// waiting for it. A File whose open completed is returned even if the
// handle was cancelled: close it.
func OpenFileAsync(ctx context.Context, name string, flag int, perm fs.FileMode) *Pending[*File] {
	b := NewBatch()
	h := b.OpenFile(name, flag, perm)
	b.Submit(ctx)
	return h
}

// StatAsync starts Stat(name) and returns without waiting for it.
func StatAsync(ctx context.Context, name string) *Pending[fs.FileInfo] {
	b := NewBatch()
	h := b.Stat(name)
	b.Submit(ctx)
	return h
}

// ReadFileAsync starts ReadFile(name) and returns without waiting for it.
// The open, the reads and the close follow one another without a
// goroutine: each is submitted by the completion of the one before.
func ReadFileAsync(ctx context.Context, name string) *Pending[[]byte] {
	b := NewBatch()
	h := b.ReadFile(name)
	b.Submit(ctx)
	return h
}
