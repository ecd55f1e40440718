package sched

// The loop's event counters: striped per P so that counting costs one
// uncontended atomic add, summed on demand (Loop.Counters).

import "sync/atomic"

// Counters are cumulative event counts of a Loop.
type Counters struct {
	Ops       uint64 // operations run (each op of a chain counts)
	Enters    uint64 // io_uring_enter calls made to submit
	SQEs      uint64 // SQEs the kernel consumed
	Inline    uint64 // submissions whose ops had completed before the caller would park
	Parks     uint64 // submissions whose caller parked for its completion
	Wakeups   uint64 // times a ring worker woke from its eventfd
	Cancels   uint64 // ASYNC_CANCEL requests submitted for cancelled contexts
	Fallbacks uint64 // ops run as syscalls on the io_uring backend (opcode missing)
	Retries   uint64 // ops resubmitted after EINTR or EAGAIN from the kernel
	OnCaller  uint64 // metadata ops, closes and would-block buffered writes run as syscalls on the caller
	SlotWaits uint64 // submissions that parked waiting for a free slot
	// NowaitHits counts buffered reads and writes finished by
	// preadv2/pwritev2(RWF_NOWAIT) on the caller, NowaitMisses those that
	// would have blocked and went to the ring.
	NowaitHits, NowaitMisses uint64
	// CachedReads counts reads of files whose recent reads all came from
	// the page cache, made with plain pread(2) on the caller (see CacheHint).
	CachedReads uint64
	// ColdReads counts reads of files whose recent reads all missed the
	// page cache, sent to the ring without the RWF_NOWAIT attempt.
	ColdReads uint64
	// KernelWaits counts the parks a lone caller spent asleep in
	// io_uring_enter for its own completion instead of on its channel
	// (see the package doc).
	KernelWaits uint64
	// Wakes counts the NOPs Lane.Wake submitted to rouse a goroutine
	// asleep in Await for a completion that came another way.
	Wakes uint64
}

// counters is one stripe of the loop's counters. Every P adds to its own
// stripe, so that goroutines on different CPUs counting the same event do
// not pass one cache line back and forth on every op; Counters sums them.
type counters struct {
	ops, enters, sqes, inline, parks, wakeups, cancels, fallbacks, retries, slotWaits, onCaller atomic.Uint64
	nowaitHits, nowaitMisses, kernelWaits, wakes                                                atomic.Uint64
	// opsOnCaller counts the ops that count in both Ops and OnCaller (the
	// metadata calls and closes run on the caller), with one add.
	opsOnCaller atomic.Uint64
	// probeTick counts the reads of files CacheHint calls cached; every
	// cachedProbeEvery-th of them is a probe, the rest are CachedReads
	// (see PreadCached). One count for both keeps that path at one atomic add.
	probeTick atomic.Uint64
	// coldTick is probeTick for files CacheHint calls cold: the rest are
	// ColdReads.
	coldTick atomic.Uint64
	// kinds are the per-kind tables of operations completed by a ring
	// (stats_linux.go), indexed by kindOf[opcode]. They live in the
	// stripe, so that a reap counting them touches only its own P's lines.
	kinds [numKinds]kindCounters
	// The padding keeps the next stripe's first counters off this
	// stripe's last cache line.
	_ [64]byte
}

func (l *Loop) snapshot() Counters {
	var c Counters
	for i := range l.stripes {
		s := &l.stripes[i]
		c.Ops += s.ops.Load()
		c.Enters += s.enters.Load()
		c.SQEs += s.sqes.Load()
		c.Inline += s.inline.Load()
		c.Parks += s.parks.Load()
		c.Wakeups += s.wakeups.Load()
		c.Cancels += s.cancels.Load()
		c.Fallbacks += s.fallbacks.Load()
		c.Retries += s.retries.Load()
		c.SlotWaits += s.slotWaits.Load()
		m := s.opsOnCaller.Load()
		c.Ops += m
		c.OnCaller += s.onCaller.Load() + m
		c.NowaitHits += s.nowaitHits.Load()
		c.NowaitMisses += s.nowaitMisses.Load()
		c.KernelWaits += s.kernelWaits.Load()
		c.Wakes += s.wakes.Load()
		t := s.probeTick.Load()
		c.CachedReads += t - t/cachedProbeEvery
		t = s.coldTick.Load()
		c.ColdReads += t - t/coldProbeEvery
	}
	return c
}

// ctr returns the counter stripe of the P the caller runs on. The goroutine
// may migrate before it adds; that only moves a count between stripes.
// Every call made on the caller counts at least once, and the division
// that maps a P beyond the stripes (GOMAXPROCS raised since the loop was
// built) measured a few percent of a page-cache ReadAt: it is made only
// for those.
func (l *Loop) ctr() *counters {
	p := procPin()
	procUnpin()
	if p < len(l.stripes) {
		return &l.stripes[p]
	}
	return &l.stripes[p%len(l.stripes)]
}

// Counters returns a snapshot of the loop's counters.
func (l *Loop) Counters() Counters { return l.snapshot() }
