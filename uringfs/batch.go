package uringfs

// The Batch API: adding operations and chains, Submit, Wait, WaitAny and
// Poll, and the queue that completions reach them through.

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

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
