package uringfs

// Batch.ReadFile: a whole-file read run as a state machine that each
// completion advances.

import (
	"context"
	"io/fs"
	"os"
	"slices"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

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
	e.fail = func(err error) { m.finish(nil, m.pathErr("open", err)) }
	e.abort = func(err error) { h.finish(nil, m.pathErr("open", err)) }
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
