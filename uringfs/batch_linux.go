package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync/atomic"
	"syscall"

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

// ReadAt adds a ReadAt of f to the batch: the handle's result is what
// f.ReadAt(p, off) returns. p belongs to the kernel until the handle is
// done.
func (b *Batch) ReadAt(f *File, p []byte, off int64) *Pending[int] {
	return b.addRW(f, p, off, false)
}

// wrapFileErr is f.wrapErr that also works on a nil File, whose methods
// all report os.ErrInvalid.
func wrapFileErr(f *File, op string, err error) error {
	if f == nil {
		return os.ErrInvalid
	}
	return f.wrapErr(op, err)
}

// closedOr is the error of an op cancelled by no one in particular: Close
// cancels what is in flight on its file, and os reports such a call as made
// on a closed file; otherwise it was an earlier op of its chain that failed.
func closedOr(f *File, err error) error {
	if f.state.closing() {
		return errClosing
	}
	return err
}

// WriteAt adds a WriteAt of f to the batch: the handle's result is what
// f.WriteAt(p, off) returns. p belongs to the kernel until the handle is
// done.
func (b *Batch) WriteAt(f *File, p []byte, off int64) *Pending[int] {
	return b.addRW(f, p, off, true)
}

// rwStep is a ReadAt or WriteAt of a batch: its entry, op and handle in
// one allocation, its start, end and fail as methods (entry.impl).
type rwStep struct {
	e     entry
	h     Pending[int]
	op    sched.Op
	f     *File
	p     []byte
	off   int64
	write bool
}

func (b *Batch) addRW(f *File, p []byte, off int64, write bool) *Pending[int] {
	s := &rwStep{f: f, p: p, off: off, write: write}
	s.h.done = make(chan struct{})
	s.e.h, s.e.op, s.e.impl = &s.h, &s.op, s
	b.add(&s.e, &s.h)
	return &s.h
}

// name is the op name of the step's errors.
func (s *rwStep) name() string {
	if s.write {
		return "write"
	}
	return "read"
}

func (s *rwStep) start(context.Context, *sched.Loop) bool {
	f := s.f
	err := f.checkValid(s.name())
	switch {
	case err != nil:
	case s.write && f.appendMode:
		err = errWriteAtInAppendMode
	case s.off < 0 && s.write:
		err = &fs.PathError{Op: "writeat", Path: f.name, Err: errors.New("negative offset")}
	case s.off < 0:
		err = &fs.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
	case len(s.p) == 0:
		s.h.finish(0, nil)
		return false
	default:
		if aerr := f.acquire(); aerr != nil {
			err = f.wrapErr(s.name(), aerr)
		}
	}
	if err != nil {
		s.e.failed = true
		s.h.finish(0, err)
		return false
	}
	if b := s.p[:min(len(s.p), sched.MaxRW)]; s.write {
		s.op = sched.WriteOp(f.fd, b, s.off)
	} else {
		s.op = sched.ReadOp(f.fd, b, s.off)
	}
	return true
}

// done completes a started step.
func (s *rwStep) done(n int, err error) {
	if s.write && err != nil {
		n = 0 // as WriteAt: a call that failed part way counts for nothing
	}
	s.f.release()
	s.h.finish(n, err)
}

func (s *rwStep) fail(err error)  { s.done(0, s.f.wrapErr(s.name(), err)) }
func (s *rwStep) abort(err error) { s.h.finish(0, wrapFileErr(s.f, s.name(), err)) }

// more finishes the transfer from byte n on a goroutine, with the
// synchronous method, which knows how to continue it.
func (s *rwStep) more(ctx context.Context, n int) {
	continueOn(ctx, &s.h, func(ctx context.Context) {
		var m int
		var err error
		if s.write {
			m, err = s.f.WriteAtContext(ctx, s.p[n:], s.off+int64(n))
		} else {
			m, err = s.f.ReadAtContext(ctx, s.p[n:], s.off+int64(n))
		}
		s.done(n+m, err)
	})
}

func (s *rwStep) end(ctx context.Context) {
	switch res := s.op.Res; {
	case int(res) == len(s.p):
		s.done(len(s.p), nil)
	case res > 0:
		s.more(ctx, int(res))
	case res == 0 && s.write:
		s.done(0, s.f.wrapErr("write", io.ErrUnexpectedEOF))
	case res == 0:
		s.done(0, io.EOF)
	case interrupted(res):
		if cause := cancelCause(ctx, &s.h); cause != nil {
			s.done(0, s.f.wrapErr(s.name(), cause))
		} else if res == -int32(unix.ECANCELED) {
			s.done(0, s.f.wrapErr(s.name(), closedOr(s.f, unix.ECANCELED)))
		} else {
			s.more(ctx, 0)
		}
	default:
		s.done(0, s.f.wrapErr(s.name(), syscall.Errno(-res)))
	}
}

// Sync adds a Sync of f (fsync(2)) to the batch; chained after a WriteAt it
// makes that write durable.
func (b *Batch) Sync(f *File) *Pending[struct{}] {
	h := newPending[struct{}]()
	e := newEntry(h)
	op := new(sched.Op)
	e.op = op
	e.start = func(ctx context.Context, l *sched.Loop) bool {
		if err := f.checkValid("sync"); err != nil {
			e.failed = true
			h.finish(struct{}{}, err)
			return false
		}
		if err := f.acquire(); err != nil {
			e.failed = true
			h.finish(struct{}{}, f.wrapErr("sync", err))
			return false
		}
		*op = sched.FsyncOp(f.fd, false)
		return true
	}
	done := func(err error) {
		f.release()
		h.finish(struct{}{}, err)
	}
	e.fail = func(err error) { done(f.wrapErr("sync", err)) }
	e.abort = func(err error) { h.finish(struct{}{}, wrapFileErr(f, "sync", err)) }
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			done(nil)
		case interrupted(res):
			if cause := cancelCause(ctx, h); cause != nil {
				done(f.wrapErr("sync", cause))
			} else if res == -int32(unix.ECANCELED) {
				done(f.wrapErr("sync", closedOr(f, unix.ECANCELED)))
			} else {
				continueOn(ctx, h, func(ctx context.Context) { done(f.SyncContext(ctx)) })
			}
		default:
			done(f.wrapErr("sync", syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// OpenFile adds an OpenFile to the batch: the handle's result is what
// OpenFile(name, flag, perm) returns. A File whose open completed is
// returned even if the handle was cancelled: close it.
func (b *Batch) OpenFile(name string, flag int, perm fs.FileMode) *Pending[*File] {
	h := newPending[*File]()
	e := newEntry(h)
	op := new(sched.Op)
	*op = sched.OpenatOp(unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, syscallMode(perm))
	e.op = op
	var l *sched.Loop
	e.start = func(_ context.Context, lp *sched.Loop) bool { l = lp; return true }
	wrap := func(err error) error { return &fs.PathError{Op: "open", Path: name, Err: err} }
	e.fail = func(err error) { h.finish(nil, wrap(err)) }
	e.abort = e.fail
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			h.finish(newOpenedFile(int(res), name, l, flag), nil)
		case interrupted(res):
			if cause := cancelCause(ctx, h); cause != nil {
				h.finish(nil, wrap(cause))
			} else if res == -int32(unix.ECANCELED) {
				h.finish(nil, wrap(unix.ECANCELED))
			} else {
				continueOn(ctx, h, func(ctx context.Context) {
					h.finish(OpenFileContext(ctx, name, flag, perm))
				})
			}
		default:
			h.finish(nil, wrap(syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// Stat adds a Stat of the named file to the batch: the handle's result is
// what Stat(name) returns.
func (b *Batch) Stat(name string) *Pending[fs.FileInfo] {
	h := newPending[fs.FileInfo]()
	e := newEntry(h)
	st := new(unix.Statx_t)
	op := new(sched.Op)
	*op = sched.StatxOp(unix.AT_FDCWD, name, 0, statxMask, st)
	e.op = op
	e.start = func(context.Context, *sched.Loop) bool { return true }
	wrap := func(err error) error { return &fs.PathError{Op: "stat", Path: name, Err: err} }
	e.fail = func(err error) { h.finish(nil, wrap(err)) }
	e.abort = e.fail
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			h.finish(newFileInfo(basename(name), st), nil)
		case interrupted(res):
			if cause := cancelCause(ctx, h); cause != nil {
				h.finish(nil, wrap(cause))
			} else if res == -int32(unix.ECANCELED) {
				h.finish(nil, wrap(unix.ECANCELED))
			} else {
				continueOn(ctx, h, func(ctx context.Context) {
					h.finish(statPathContext(ctx, "stat", name, 0))
				})
			}
		default:
			h.finish(nil, wrap(syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// statPathContext is statPath with a context.
func statPathContext(ctx context.Context, op, name string, flags int) (fs.FileInfo, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	var st unix.Statx_t
	err = ignoringEINTR(func() error {
		return l.Statx(ctx, unix.AT_FDCWD, name, flags, statxMask, &st)
	})
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return newFileInfo(basename(name), &st), nil
}

// ReadFile adds a ReadFile of the named file to the batch: the handle's
// result is what ReadFile(name) returns. Its open goes out with the batch;
// the reads and the close follow, each submitted by the completion of the
// one before. It cannot be part of a chain.
func (b *Batch) ReadFile(name string) *Pending[[]byte] {
	if b.chain != nil {
		panic("uringfs: ReadFile cannot be part of a chain")
	}
	h := newPending[[]byte]()
	e := newEntry(h)
	m := &readFileOp{h: h, name: name}
	m.op = sched.OpenatOp(unix.AT_FDCWD, name, os.O_RDONLY|unix.O_CLOEXEC, 0)
	e.op = &m.op
	e.start = func(ctx context.Context, l *sched.Loop) bool {
		m.l, m.ctx = l, ctx
		return true
	}
	e.rf = m
	e.fail = func(err error) { m.finish(nil, &fs.PathError{Op: "open", Path: name, Err: err}) }
	e.abort = func(err error) { h.finish(nil, &fs.PathError{Op: "open", Path: name, Err: err}) }
	e.install = func(cancelOpen func()) {
		h.setCancel(func() { cancelOpen(); m.cancelStep() })
	}
	e.end = func(context.Context) { m.opened() }
	b.add(e, h)
	return h
}

// readFileOp is ReadFile as a state machine driven by completions: open,
// then reads until end of file, then close. Each step is submitted from
// the completion of the previous one, so a file costs no goroutine.
type readFileOp struct {
	h     *Pending[[]byte]
	name  string
	l     *sched.Loop
	lane  sched.Lane      // the batch's ring, where the later steps go too
	ctx   context.Context // the batch's
	group *readFileGroup  // the submission's, when ctx can be cancelled
	cur   atomic.Pointer[stepRef]
	op    sched.Op
	ops   [1]*sched.Op // &op, for Start
	next  readFileStep // what op's completion runs, through notify
	// notify is the one closure the steps share.
	notify func(int)
	fd     int
	stat   int64 // the size fstat reported
	data   []byte
	err    error // the result, once the reads are over
}

func (m *readFileOp) pathErr(op string, err error) error {
	return &fs.PathError{Op: op, Path: m.name, Err: err}
}

// readFileGroup is the ReadFiles of one Submit with a cancellable
// context. The open goes with the batch's flight, which follows ctx; the
// later steps are flights of their own, which one AfterFunc per submission
// cancels, stopped when the last of them is done.
type readFileGroup struct {
	left atomic.Int32
	stop func() bool
}

// stepRef is the flight of one step, once Start has returned it.
type stepRef struct{ f atomic.Pointer[sched.Flight] }

// cancelled reports why the ReadFile was cancelled, or nil.
func (m *readFileOp) cancelled() error { return cancelCause(m.ctx, m.h) }

// cancelStep cancels the step in flight. A step whose flight is not known
// yet is cancelled by step itself, which checks after publishing it.
func (m *readFileOp) cancelStep() {
	if st := m.cur.Load(); st != nil {
		if f := st.f.Load(); f != nil {
			f.Cancel()
		}
	}
}

// step submits m.op, with next to run on its completion. A failure to
// submit is handled as the op's cancellation.
func (m *readFileOp) step(next readFileStep) {
	st := new(stepRef)
	m.cur.Store(st)
	m.next = next
	f, err := m.l.StartOn(background, m.lane, m.opSlice(), nil, m.notify)
	if err != nil {
		m.op.Res = -int32(unix.ECANCELED)
		m.dispatch()
		return
	}
	st.f.Store(f)
	if m.cancelled() != nil {
		// Cancel came before the flight was known. step runs on a reaper,
		// which must not wait for a cancel slot.
		go f.Cancel()
	}
}

func (m *readFileOp) opened() {
	res := m.op.Res
	if res < 0 {
		if interrupted(res) {
			if cause := m.cancelled(); cause != nil {
				m.finish(nil, m.pathErr("open", cause))
				return
			}
			if res != -int32(unix.ECANCELED) {
				m.step(stepOpened) // EINTR: open again
				return
			}
		}
		m.finish(nil, m.pathErr("open", syscall.Errno(-res)))
		return
	}
	m.fd = int(res)
	// As ReadFile: fstat(2) sizes the buffer, a plain call that never waits
	// for I/O, cheaper than a STATX that the kernel hands to a worker.
	var st unix.Stat_t
	if ignoringEINTR(func() error { return unix.Fstat(m.fd, &st) }) == nil {
		m.stat = st.Size
	}
	size := 512
	if m.stat > 0 && m.stat < int64(^uint(0)>>1) && int(m.stat)+1 > size {
		size = int(m.stat) + 1
	}
	m.data = make([]byte, 0, size)
	m.read()
}

func (m *readFileOp) read() {
	if cause := m.cancelled(); cause != nil {
		m.err = m.pathErr("read", cause)
		m.close()
		return
	}
	m.op = sched.ReadOp(m.fd, m.data[len(m.data):cap(m.data)], -1)
	m.step(stepRead)
}

func (m *readFileOp) readDone() {
	res := m.op.Res
	switch {
	case res > 0:
		m.data = m.data[:len(m.data)+int(res)]
		if free := cap(m.data) - len(m.data); free == 0 || (m.stat == 0 && free < 512) {
			m.data = slices.Grow(m.data, 512)
		}
		m.read()
	case res == 0:
		m.close()
	case interrupted(res):
		if cause := m.cancelled(); cause != nil {
			m.err = m.pathErr("read", cause)
			m.close()
		} else if res == -int32(unix.ECANCELED) {
			m.err = m.pathErr("read", unix.ECANCELED)
			m.close()
		} else {
			m.read()
		}
	default:
		m.err = m.pathErr("read", syscall.Errno(-res))
		m.close()
	}
}

// close releases the descriptor; it is not cancellable, and its error is
// ignored, as os.ReadFile ignores it.
func (m *readFileOp) close() {
	m.op = sched.CloseOp(m.fd)
	m.next = stepClosed
	if _, err := m.l.StartOn(background, m.lane, m.opSlice(), nil, m.notify); err != nil {
		unix.Close(m.fd) // the loop is closed: close it here
		m.finish(m.data, m.err)
	}
}

// opSlice returns m.op as the one-op slice Start takes, without allocating
// one per step.
func (m *readFileOp) opSlice() []*sched.Op {
	if m.notify == nil {
		m.ops[0] = &m.op
		m.notify = func(int) { m.dispatch() }
	}
	return m.ops[:]
}

// readFileStep names what runs when the op in flight completes.
type readFileStep uint8

const (
	stepOpened readFileStep = iota
	stepRead
	stepClosed
)

// dispatch runs the step that m.op's completion calls for. One closure per
// file serves every step, rather than one per step.
func (m *readFileOp) dispatch() {
	switch m.next {
	case stepOpened:
		m.opened()
	case stepRead:
		m.readDone()
	case stepClosed:
		m.finish(m.data, m.err)
	}
}

func (m *readFileOp) finish(data []byte, err error) {
	if g := m.group; g != nil && g.left.Add(-1) == 0 {
		g.stop()
	}
	m.h.finish(data, err)
}
