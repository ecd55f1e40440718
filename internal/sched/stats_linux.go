package sched

// Per-kind operation tables and ring gauges, beside the loop's event
// counters (counters_linux.go). The tables count what rings complete:
// the reap counts each completion in the stripe of the P it runs on
// (countCQE), and submit times a sample of single operations (timeStart,
// timeEnd). Gauges are read from the shards when asked.

import (
	"math/bits"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/uringfs/uring/internal/ring"
)

// LatencyBuckets is the number of buckets of a latency histogram. Bucket 0
// holds latencies under 1024ns; bucket i, for 0 < i < LatencyBuckets-1,
// holds those in [512ns<<i, 1024ns<<i); the last holds everything from
// 512ns<<(LatencyBuckets-1) (about 4.3s) up.
const LatencyBuckets = 24

// latencySampleEvery is how many single-op submissions there are, on
// average, for each one timed. Two clock reads cost 40-100ns, a tenth of
// a page-cache read through the ring: timing every op would be measurable,
// timing one in 64 is not, and still gives thousands of samples a second
// at any rate worth looking at.
const latencySampleEvery = 64

// latencyBucket returns the bucket of a latency of ns nanoseconds.
func latencyBucket(ns int64) int {
	if ns < 1024 {
		return 0
	}
	return min(bits.Len64(uint64(ns))-10, LatencyBuckets-1)
}

// LatencyBucketLimit returns the exclusive upper bound of bucket i of a
// latency histogram; the last bucket has none and returns 0.
func LatencyBucketLimit(i int) time.Duration {
	if i < 0 || i >= LatencyBuckets-1 {
		return 0
	}
	return 1024 << i
}

// kindCounters is one stripe's table for one kind of operation.
type kindCounters struct {
	ops, errs atomic.Uint64
	// fallbacks counts the ops of the kind an io_uring loop ran as system
	// calls because the kernel's ring lacks what they need.
	fallbacks atomic.Uint64
	// lat is the histogram of timed latencies, latSum their sum in
	// nanoseconds.
	lat    [LatencyBuckets]atomic.Uint64
	latSum atomic.Uint64
}

// kinds are the operation kinds the tables distinguish: the opcodes the
// loop runs (supportedOps), and "other" for the loop's own requests.
var kinds = [...]struct {
	code ring.Opcode
	name string
}{
	{ring.OpRead, "read"}, {ring.OpWrite, "write"}, {ring.OpReadv, "readv"},
	{ring.OpWritev, "writev"}, {ring.OpFsync, "fsync"}, {ring.OpOpenat, "openat"},
	{ring.OpOpenat2, "openat2"}, {ring.OpClose, "close"}, {ring.OpStatx, "statx"},
	{ring.OpFallocate, "fallocate"}, {ring.OpFadvise, "fadvise"},
	{ring.OpRenameat, "renameat"}, {ring.OpUnlinkat, "unlinkat"},
	{ring.OpMkdirat, "mkdirat"}, {ring.OpSymlinkat, "symlinkat"},
	{ring.OpLinkat, "linkat"}, {ring.OpFtruncate, "ftruncate"},
	{ring.OpSplice, "splice"}, {ring.OpNop, "nop"},
	{ring.OpAsyncCancel, "other"}, // and any opcode not above
}

const numKinds = len(kinds)

// kindOf maps an opcode to its index in kinds.
var kindOf = func() (t [256]uint8) {
	for i := range t {
		t[i] = uint8(numKinds - 1)
	}
	for i, k := range kinds {
		t[k.code] = uint8(i)
	}
	return t
}()

// countCQE counts the completion of op, whose Res is set. The reap calls
// it for every op with a waiter (not for cancel and wake requests).
func (l *Loop) countCQE(op *Op) {
	k := &l.ctr().kinds[kindOf[op.Code]]
	k.ops.Add(1)
	if op.Res < 0 {
		k.errs.Add(1)
	}
}

// countFallbacks counts ops that an io_uring loop runs as system calls
// because the ring cannot run them (Counters.Fallbacks), in total and per
// kind.
func (l *Loop) countFallbacks(ops []*Op) {
	c := l.ctr()
	c.fallbacks.Add(uint64(len(ops)))
	for _, op := range ops {
		c.kinds[kindOf[op.Code]].fallbacks.Add(1)
	}
}

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname cheaprand runtime.cheaprand
func cheaprand() uint32

// timeStart decides whether a submission of ops is timed: one op alone,
// one time in latencySampleEvery, chosen with the runtime's per-thread
// cheap random generator, which costs about a nanosecond and no shared
// write. It returns the monotonic start time of a timed submission, 0
// for the others.
func timeStart(ops []*Op) int64 {
	if len(ops) != 1 || cheaprand()%latencySampleEvery != 0 {
		return 0
	}
	return nanotime()
}

// timeEnd records the latency of a submission timeStart timed.
func (l *Loop) timeEnd(t0 int64, ops []*Op) {
	if t0 == 0 {
		return
	}
	ns := max(nanotime()-t0, 0)
	k := &l.ctr().kinds[kindOf[ops[0].Code]]
	k.lat[latencyBucket(ns)].Add(1)
	k.latSum.Add(uint64(ns))
}

// OpStats is the table of one kind of operation, summed over the stripes.
type OpStats struct {
	Name string // "read", "write", ... or "other"
	// Code is the opcode of the kind ("other": OpAsyncCancel).
	Code ring.Opcode
	// Ops and Errors count completions from a ring, Errors those with a
	// negative result; Fallbacks the ops of the kind run as system calls
	// on an io_uring loop because the ring could not run them.
	Ops, Errors, Fallbacks uint64
	// Latency is the histogram of the timed submissions (see
	// LatencyBuckets), LatencySum their total in nanoseconds.
	Latency    [LatencyBuckets]uint64
	LatencySum uint64
}

// OpStats returns the per-kind tables, one entry per kind in a fixed
// order. They are all zero on the syscall backend.
func (l *Loop) OpStats() []OpStats {
	out := make([]OpStats, numKinds)
	for i, k := range kinds {
		out[i].Name, out[i].Code = k.name, k.code
	}
	for si := range l.stripes {
		s := &l.stripes[si]
		for i := range out {
			k := &s.kinds[i]
			out[i].Ops += k.ops.Load()
			out[i].Errors += k.errs.Load()
			out[i].Fallbacks += k.fallbacks.Load()
			out[i].LatencySum += k.latSum.Load()
			for b := range k.lat {
				out[i].Latency[b] += k.lat[b].Load()
			}
		}
	}
	return out
}

// RingGauge is what one ring holds at a moment.
type RingGauge struct {
	// InFlight is the number of SQEs the kernel has taken whose
	// completions have not been reaped.
	InFlight int64
	// SlotsInUse of Slots op slots are claimed: by ops in flight, and by
	// submissions being written or waiting for their turn to enter.
	SlotsInUse, Slots int
	// DirectInUse of DirectSlots direct descriptor slots are taken;
	// DirectSlots is 0 until a chain first needs the table, or if the
	// kernel refused to register it.
	DirectInUse, DirectSlots int
}

// Gauges returns one RingGauge per ring set up so far, in ring order, none
// on the syscall backend.
func (l *Loop) Gauges() []RingGauge {
	var out []RingGauge
	l.each(func(s *shard) {
		out = append(out, RingGauge{})
		g := &out[len(out)-1]
		g.InFlight = s.outstanding.Load()
		g.Slots = s.free.size
		g.SlotsInUse = g.Slots - s.free.available()
		if s.direct.ok.Load() {
			g.DirectSlots = directSlots
			g.DirectInUse = directSlots - len(s.direct.free)
		}
	})
	return out
}
