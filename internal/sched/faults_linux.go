package sched

import (
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/uringfs/uring/internal/ring"
)

// Fault injection at the ring boundary, for tests only.
//
// The hooks are plain functions called at the four places where the loop
// meets the kernel: ring setup (newRing), io_uring_enter (enterRing), SQE
// preparation (faultSQE) and CQE delivery (faultCQE). Each starts with one
// atomic pointer load and a nil compare; with no plan installed that is all
// they cost, and the compiler inlines the check into the caller. A build tag
// was the other choice: it would cost nothing at all, but every test that
// wants faults (in this package and in uringfs, whose tests exercise the
// os-shaped API over the process-wide loop) would need the tag on the command
// line and in CI, and code behind a tag that ordinary runs never compile rots.
// The package is internal, so InjectFaults is reachable only from this module.

// Fault is what happens to one operation picked by a FaultPlan.
type Fault struct {
	// Errno, when nonzero, replaces the operation by a NOP: the kernel never
	// performs it, and its completion carries -Errno, as if the kernel had
	// failed it (on Linux 6.10 and later the NOP itself fails, breaking its
	// chain).
	Errno syscall.Errno
	// Short halves the length of a READ or WRITE before it is submitted, so
	// the kernel really transfers fewer bytes than asked (a short count).
	Short bool
}

// FaultPlan describes the faults to inject. Install it with InjectFaults.
type FaultPlan struct {
	// Match picks the operations that Ops applies to; nil picks all of them.
	Match func(code ring.Opcode, fd int) bool
	// Ops are consumed in order, one per picked operation; once they are
	// used up, picked operations run normally, unless Repeat is set.
	Ops []Fault
	// Repeat makes Ops cycle forever.
	Repeat bool
	// EnterErrs are returned, in order, by the next calls to io_uring_enter
	// instead of entering the kernel (EINTR, EAGAIN, EBUSY, ...).
	EnterErrs []syscall.Errno
	// PartialEnters makes the next PartialEnters calls to io_uring_enter
	// hand the kernel one SQE only, as a kernel that consumes part of the
	// submission queue does; the rest stay queued.
	PartialEnters int
	// SetupErr makes ring setup fail with this errno after SetupOK rings
	// have been set up fine.
	SetupErr syscall.Errno
	SetupOK  int

	mu      sync.Mutex
	next    int
	enters  int
	partial int
	setups  int
	pending map[*Op]int32 // NOP'd ops in flight -> the result to report
	// Injected counts the faults injected so far, of every kind.
	injected atomic.Int64
}

// Injected returns how many faults the plan has injected.
func (p *FaultPlan) Injected() int64 { return p.injected.Load() }

var faults atomic.Pointer[FaultPlan]

// InjectFaults installs p for every loop in the process and returns a
// function that removes it. Tests only; a nil p removes any plan.
func InjectFaults(p *FaultPlan) (restore func()) {
	old := faults.Swap(p)
	return func() { faults.Store(old) }
}

// newRing is ring.New for the loop's shards, failing as the plan says.
func newRing(entries uint32, params *ring.Params) (*ring.Ring, error) {
	if p := faults.Load(); p != nil {
		if errno := p.setupErr(); errno != 0 {
			return nil, &ring.SetupError{Errno: errno}
		}
	}
	return ring.New(entries, params)
}

func (p *FaultPlan) setupErr() syscall.Errno {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.SetupErr == 0 {
		return 0
	}
	p.setups++
	if p.setups <= p.SetupOK {
		return 0
	}
	p.injected.Add(1)
	return p.SetupErr
}

// enterRing is io_uring_enter for the loop, failing or consuming fewer
// SQEs as the plan says.
func enterRing(r *ring.Ring, toSubmit, flags uint32) (int, error) {
	if p := faults.Load(); p != nil {
		var errno syscall.Errno
		toSubmit, errno = p.enter(toSubmit)
		if errno != 0 {
			return 0, errno
		}
	}
	return r.EnterNoWait(toSubmit, flags)
}

func (p *FaultPlan) enter(n uint32) (uint32, syscall.Errno) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.enters < len(p.EnterErrs) {
		p.enters++
		p.injected.Add(1)
		return n, p.EnterErrs[p.enters-1]
	}
	if n > 1 && p.partial < p.PartialEnters {
		p.partial++
		p.injected.Add(1)
		return 1, 0
	}
	return n, 0
}

// faultSQE applies the plan to op, whose SQE (user_data set) is about to be
// published.
func faultSQE(sqe *ring.SQE, op *Op) {
	if p := faults.Load(); p != nil {
		p.sqe(sqe, op)
	}
}

func (p *FaultPlan) sqe(sqe *ring.SQE, op *Op) {
	if p.Match != nil && !p.Match(op.Code, op.Fd) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.Ops) == 0 {
		return
	}
	if p.next >= len(p.Ops) {
		if !p.Repeat {
			return
		}
		p.next = 0
	}
	f := p.Ops[p.next]
	p.next++
	switch {
	case f.Errno != 0:
		// The NOP fails as the op would have, so a chain breaks after it
		// as after a real failure.
		ud, flags := sqe.UserData, sqe.Flags
		*sqe = ring.SQE{}
		sqe.PrepNopResult(-int32(f.Errno))
		sqe.UserData, sqe.Flags = ud, flags
		if p.pending == nil {
			p.pending = make(map[*Op]int32)
		}
		p.pending[op] = -int32(f.Errno)
		p.injected.Add(1)
	case f.Short && (op.Code == ring.OpRead || op.Code == ring.OpWrite) && sqe.Len > 1:
		sqe.Len /= 2
		p.injected.Add(1)
	}
}

// faultCQE gives a NOP'd op, just completed with its result in op.Res, the
// result the plan chose for it.
func faultCQE(op *Op) {
	if p := faults.Load(); p != nil {
		p.cqe(op)
	}
}

func (p *FaultPlan) cqe(op *Op) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.pending[op]; ok {
		delete(p.pending, op)
		// A NOP that the kernel cancelled (a chain broken before it, Close)
		// keeps its own result. A kernel without IORING_NOP_INJECT_RESULT
		// completes it with 0 instead of the chosen errno.
		if op.Res == 0 {
			op.Res = r
		}
	}
}

// faultsActive reports whether a plan is installed. The page-cache fast
// path (RWF_NOWAIT on the caller) steps aside then, so that reads and writes
// reach the ring, where the plan applies.
func faultsActive() bool { return faults.Load() != nil }
