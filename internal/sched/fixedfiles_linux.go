package sched

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// Direct descriptors: each ring registers a sparse table of fixed-file
// slots the first time a chain asks for one. A chain such as OPENAT into
// slot k, READ from slot k, CLOSE of slot k then runs in one io_uring_enter
// without a descriptor ever entering the process's table (no fd allocation,
// no fdget/fdput per op).
//
// Slot lifetime: a slot is taken from its ring's free list before the chain
// is prepared and goes back only after every CQE of the chain has been
// reaped and the slot is known to be empty: the chain's CLOSE reported
// success, or else the slot was cleared with IORING_REGISTER_FILES_UPDATE.
// A slot that cannot be cleared is never reused (DirectSlotsInUse counts it).

// directSlots is the size of each ring's direct descriptor table. It bounds
// the direct chains in flight per ring; callers beyond it take their plain
// path.
const directSlots = 256

// directTable is one ring's direct descriptor slots.
type directTable struct {
	once sync.Once
	ok   atomic.Bool // the table is registered (free is set before)
	free chan uint32 // free slots
	lost atomic.Int64
}

func (t *directTable) init(r *ring.Ring) {
	t.once.Do(func() {
		fds := make([]int32, directSlots)
		for i := range fds {
			fds[i] = -1
		}
		if r.RegisterFiles(fds) != nil {
			return // EMFILE under a low RLIMIT_NOFILE, an old kernel: plain path
		}
		t.free = make(chan uint32, directSlots)
		for i := uint32(0); i < directSlots; i++ {
			t.free <- i
		}
		t.ok.Store(true)
	})
}

// close unregisters the table. The loop has no call inside any more.
func (t *directTable) close(r *ring.Ring) {
	t.once.Do(func() {}) // no registration after this
	if t.ok.Load() {
		r.UnregisterFiles()
		t.ok.Store(false)
	}
}

// ChainDirect runs ops as one linked chain, like Chain, on a direct
// descriptor slot reserved for it on the ring of the caller's P: ops marked
// Direct work on that slot (see Op.Direct). Each op's SQEFlags are added to
// its SQE; ring.SQEIOHardlink on an op keeps the chain going after that op
// fails or comes up short, so that a final CLOSE runs whatever the READ
// before it did. The last op of a chain must not carry a link flag.
//
// If the chain ends without a successful direct CLOSE (a failure cut it
// before the CLOSE) and more is not nil, more is called with a run function
// that submits further chains on the same slot and returns as Chain does:
// the caller can go on with the file the chain opened. Once more returns,
// or right away without more, a slot left holding a file is emptied.
//
// ran is false, with nothing submitted, when direct descriptors cannot be
// used (see DirectFiles; also when the ring could not register its table or
// the probe lacks an opcode of ops) or every slot of the ring is taken: the
// caller then takes its plain path. When ran is true, err is as for Chain
// and every op has its result. ctx can cancel the chain; the call still
// waits for every CQE.
func (l *Loop) ChainDirect(ctx context.Context, ops []*Op, more func(run func(ops ...*Op) error)) (ran bool, err error) {
	if len(ops) == 0 || !l.DirectFiles() || !l.directOK(ops) {
		return false, nil
	}
	if err := l.admit(ctx); err != nil {
		return false, err
	}
	defer l.leave()
	s := l.shardHere()
	s.direct.init(s.r)
	if !s.direct.ok.Load() {
		return false, nil
	}
	var k uint32
	select {
	case k = <-s.direct.free:
	default:
		return false, nil
	}
	if !armDirect(ops, k) {
		s.direct.free <- k
		return false, nil
	}
	l.ctr().ops.Add(uint64(len(ops)))
	err = s.submit(ctx, ops)
	// submit returns once every submitted op has its CQE: the kernel is
	// done with the slot, unless the chain left a file in it.
	s.releaseDirect(ctx, k, ops, err == nil, more)
	return true, err
}

// releaseDirect gives slot k back once chain, which ran on it, has every
// CQE. If the chain left a file in the slot and more is not nil (and
// mayContinue), more first gets to run further chains on it. A slot that
// cannot be emptied is counted as lost and never reused.
func (s *shard) releaseDirect(ctx context.Context, k uint32, chain []*Op, mayContinue bool,
	more func(run func(ops ...*Op) error)) {
	closed := closedDirect(chain)
	if !closed && more != nil && mayContinue {
		closed = s.continueDirect(ctx, k, more)
	}
	if !closed {
		if uerr := s.r.UpdateFiles(k, []int32{-1}); uerr != nil {
			s.direct.lost.Add(1)
			return
		}
	}
	s.direct.free <- k
}

// continueDirect lets more run chains on slot k, which holds a file, and
// reports whether one of them closed it. (Apart from releaseDirect so that
// only a chain that continues pays for the closure.)
func (s *shard) continueDirect(ctx context.Context, k uint32, more func(run func(ops ...*Op) error)) (closed bool) {
	more(func(ops ...*Op) error {
		if closed || len(ops) == 0 || !s.l.directOK(ops) || !armDirect(ops, k) {
			return unix.EINVAL
		}
		s.l.ctr().ops.Add(uint64(len(ops)))
		err := s.submit(ctx, ops)
		closed = closedDirect(ops)
		return err
	})
	return closed
}

// MaxDirectChainOps bounds the ops ChainsDirect takes in one call: enough
// for 32 of ReadFile's six-op chains per io_uring_enter, while leaving
// more than half of a default ring's slots to everyone else.
const MaxDirectChainOps = 192

// ChainsDirect runs several chains as ChainDirect runs one, each on its own
// direct descriptor slot, all published together so that one io_uring_enter
// carries every chain (a page-cache hit completes inside it). ran[i] tells
// whether chains[i] ran; a chain that found no free slot, or any chain when
// direct descriptors cannot be used at all, did not run and its caller
// takes its plain path. At most MaxDirectChainOps ops run per call: the
// chains past that do not run.
//
// more, if not nil, is called for each chain that ran and left a file in
// its slot (no successful direct CLOSE at its end), with a run function
// that submits further chains on that slot, as ChainDirect's more. Every
// slot is empty again when ChainsDirect returns. err is as for Chain, for
// the whole call; ctx cancels every chain still running and the call still
// waits for every CQE.
func (l *Loop) ChainsDirect(ctx context.Context, chains [][]*Op, ran []bool,
	more func(i int, run func(ops ...*Op) error)) error {
	clear(ran)
	if len(chains) == 0 || !l.DirectFiles() {
		return nil
	}
	if err := l.admit(ctx); err != nil {
		return err
	}
	defer l.leave()
	s := l.shardHere()
	s.direct.init(s.r)
	if !s.direct.ok.Load() {
		return nil
	}
	limit := min(MaxDirectChainOps, s.free.size)
	n := 0
	for _, c := range chains {
		n += len(c)
	}
	n = min(n, limit)
	ops := make([]*Op, 0, n)
	spans := make([]span, 0, len(chains))
	slots := make([]uint32, len(chains))
	for i, c := range chains {
		if len(c) == 0 || len(ops)+len(c) > limit || !l.directOK(c) {
			continue
		}
		var k uint32
		select {
		case k = <-s.direct.free:
		default:
			continue
		}
		if !armDirect(c, k) {
			s.direct.free <- k
			continue
		}
		ran[i], slots[i] = true, k
		spans = append(spans, span{len(ops), len(ops) + len(c)})
		ops = append(ops, c...)
	}
	if len(ops) == 0 {
		return nil
	}
	l.ctr().ops.Add(uint64(len(ops)))
	err := s.submitChains(ctx, ops, spans)
	for i, c := range chains {
		if !ran[i] {
			continue
		}
		var moreOne func(run func(ops ...*Op) error)
		if more != nil {
			moreOne = func(run func(ops ...*Op) error) { more(i, run) }
		}
		s.releaseDirect(ctx, slots[i], c, err == nil, moreOne)
	}
	return err
}

// directOK checks that the loop can prepare and the kernel run every op,
// and that the last one does not link onward.
func (l *Loop) directOK(ops []*Op) bool {
	if ops[len(ops)-1].SQEFlags&(ring.SQEIOLink|ring.SQEIOHardlink) != 0 {
		return false
	}
	for _, op := range ops {
		if !known(op.Code) || !l.probe.Supported(op.Code) {
			return false
		}
	}
	return true
}

// armDirect prepares ops for slot k.
func armDirect(ops []*Op, k uint32) bool {
	for _, op := range ops {
		op.armed, op.slot = op.Direct, k
		perr := op.prepare()
		op.armed = false
		if perr != nil {
			return false
		}
		// An op that never reaches the kernel (slot wait abandoned) keeps
		// this result, so it does not look like a successful OPENAT.
		op.Res = -int32(unix.ECANCELED)
	}
	return true
}

// closedDirect reports whether the chain ends with a direct CLOSE that
// succeeded, which leaves the slot empty whatever came before it.
func closedDirect(ops []*Op) bool {
	last := ops[len(ops)-1]
	return last.Direct && last.Code == ring.OpClose && last.Res == 0
}

// DirectSlotsInUse returns the direct descriptor slots that are reserved by
// a chain in progress or were lost (could not be cleared); with no chain
// running it is the leak count.
func (l *Loop) DirectSlotsInUse() int {
	n := 0
	l.each(func(s *shard) {
		if s.direct.ok.Load() {
			n += directSlots - len(s.direct.free)
		}
	})
	return n
}
