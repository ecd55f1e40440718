package uringfs

import (
	"time"

	"github.com/uringfs/uring/internal/sched"
)

// The histogram's shape is the loop's: these fail to compile if the two
// numbers of buckets differ.
var (
	_ [LatencyBuckets - sched.LatencyBuckets]struct{}
	_ [sched.LatencyBuckets - LatencyBuckets]struct{}
)

// Stats returns a snapshot of the process-wide loop: its counters, its
// rings' gauges and its tables by kind of operation (see LoopStats). All
// is zero if the loop could not start.
func Stats() LoopStats {
	l, err := loop()
	if err != nil {
		return LoopStats{}
	}
	s := LoopStats{Backend: l.Backend(), Counters: Counters(l.Counters())}
	for _, g := range l.Gauges() {
		// As for Counters, the conversion compiles only while the two
		// structs have the same fields.
		s.Rings = append(s.Rings, RingStats(g))
	}
	ops := l.OpStats()
	s.Ops = make([]OpStats, len(ops))
	for i, o := range ops {
		s.Ops[i] = OpStats{Op: o.Name, Ops: o.Ops, Errors: o.Errors, Fallbacks: o.Fallbacks,
			Latency: Histogram{Buckets: o.Latency, Sum: time.Duration(o.LatencySum)}}
	}
	return s
}
