package uringfs

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// LoopStats is a snapshot of the process-wide event loop, as Stats returns
// it: the event counts of LoopCounters, what each ring holds at the moment
// (Rings), and a table per kind of operation (Ops). It marshals to JSON as
// it is, which is how StatsVar publishes it with expvar, and Metrics turns
// it into the named samples a monitoring system takes.
//
// Keeping it costs each operation through a ring one more uncontended
// atomic add, when its completion is counted by kind, and a draw of the
// runtime's cheap random number, to choose the latencies timed: 11ns by
// themselves, 20-40ns (3%) of the 700ns a no-op round trip through a ring
// takes, measured end to end (see BenchmarkRingPath in internal/sched),
// and too little to show in reads and writes through a File. The counts are kept per P, each P's
// on cache lines of its own, and summed only when Stats is called.
//
// On the syscall backend (see Backend) Rings is empty and the Ops tables
// stay zero: they describe the rings. On systems other than Linux, and
// when the loop could not start, everything is zero or empty.
type LoopStats struct {
	// Backend is the loop's backend, "uring" or "syscall", or "" when no
	// loop runs.
	Backend string
	// Counters are the loop's cumulative event counts, as LoopCounters
	// returns them.
	Counters Counters
	// Rings describes each io_uring instance at the moment of the call,
	// in the loop's order of rings: those set up so far (see Config.Rings).
	Rings []RingStats
	// Ops has one table per kind of operation the loop runs, in a fixed
	// order: read, write, readv, writev, fsync, openat, openat2, close,
	// statx, fallocate, fadvise, renameat, unlinkat, mkdirat, symlinkat,
	// linkat, ftruncate, splice, nop and other.
	Ops []OpStats
}

// RingStats is what one ring holds at a moment: gauges, which go up and
// down, unlike Counters.
type RingStats struct {
	// InFlight is the number of requests the kernel has taken from the
	// ring and not yet completed, or completed without the loop having
	// collected the completion yet.
	InFlight int64
	// SlotsInUse is how many of the ring's Slots operation slots are
	// taken: by the requests in flight, and by submissions being written
	// into the ring or waiting for their turn to enter the kernel. A ring
	// with every slot in use makes further submitters wait (see
	// Counters.SlotWaits).
	SlotsInUse int
	// Slots is the number of operations the ring can have in flight at
	// once: its submission queue's size, less a few entries kept for
	// cancellation requests.
	Slots int
	// DirectInUse is how many of the ring's DirectSlots direct descriptor
	// slots are taken by chains that open, use and close a file without a
	// file descriptor (ReadFiles, Batch).
	DirectInUse int
	// DirectSlots is the size of the ring's table of direct descriptors:
	// 0 until a chain first needs one, and when the kernel refused it.
	DirectSlots int
}

// OpStats is the table of one kind of operation. It counts the operations
// completed by a ring; those the loop ran as plain system calls (on the
// syscall backend, as Counters.Fallbacks or Counters.OnCaller, or on the
// calling goroutine with RWF_NOWAIT) are not in it.
type OpStats struct {
	// Op names the kind of operation: "read", "write", "openat", ... after
	// the io_uring opcode, or "other" for anything else.
	Op string
	// Ops is the number of operations of the kind a ring completed, each
	// step of a linked chain, a Batch or a ReadFiles counting as one.
	Ops uint64
	// Errors is the number of those whose result was an error: including
	// the steps of a chain cancelled because an earlier step failed, a
	// cancelled context's operations, and a read or write of a
	// non-blocking file that the ring answered with EAGAIN, which the
	// loop then redid as a system call (see Counters.Retries). End of
	// file is not an error.
	Errors uint64
	// Fallbacks is the number of operations of the kind the io_uring
	// backend ran as plain system calls because the kernel's io_uring
	// could not run them (their share of Counters.Fallbacks). They are not
	// in Ops.
	Fallbacks uint64
	// Latency is the distribution of the time single operations of the
	// kind took, from the caller's submission to its return. It is a
	// sample: one operation in 64, chosen at random, is timed, since two
	// clock readings for each would cost a measurable part of a fast
	// read. Operations of a chain, a Batch or a flight are not timed.
	Latency Histogram
}

// LatencyBuckets is the number of buckets of a Histogram. Bucket 0 holds
// latencies under 1.024µs; bucket i, for 0 < i < LatencyBuckets-1, those
// from LatencyBucketLimit(i-1) up to LatencyBucketLimit(i), twice as far;
// the last bucket holds everything from about 4.29s up.
const LatencyBuckets = 24

// LatencyBucketLimit returns the exclusive upper limit of bucket i of a
// Histogram: 1024ns << i. The last bucket has no limit, and it returns 0
// for it and for an i out of range.
func LatencyBucketLimit(i int) time.Duration {
	if i < 0 || i >= LatencyBuckets-1 {
		return 0
	}
	return 1024 << i
}

// Histogram is a distribution of latencies in fixed buckets whose limits
// double from one to the next (see LatencyBucketLimit).
type Histogram struct {
	// Buckets holds the number of latencies that fell in each bucket.
	Buckets [LatencyBuckets]uint64
	// Sum is the total of the latencies counted; in JSON, nanoseconds.
	Sum time.Duration
}

// Count returns the number of latencies in h.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, b := range h.Buckets {
		n += b
	}
	return n
}

// Quantile returns the upper limit of the bucket holding the q-quantile of
// h (0 < q <= 1): an upper estimate, within a factor of two. It returns 0
// for an empty h, and for a quantile in the last bucket, which has no limit.
func (h Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(q * float64(n))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, b := range h.Buckets {
		seen += b
		if seen >= rank {
			return LatencyBucketLimit(i)
		}
	}
	return 0
}

// StatsVar publishes Stats with expvar: it is an expvar.Var, whose String
// method returns Stats as JSON. Register it under a name of your choice:
//
//	expvar.Publish("uringfs", uringfs.StatsVar{})
//
// and the stats appear at /debug/vars on every request. The package does
// not register it itself: importing expvar would add /debug/vars to
// http.DefaultServeMux in every program that uses uringfs.
type StatsVar struct{}

// String returns Stats as JSON.
func (StatsVar) String() string {
	b, err := json.Marshal(Stats())
	if err != nil {
		return "null" // cannot happen: LoopStats is plain data
	}
	return string(b)
}

// Metric is one named sample of LoopStats, in the terms of Prometheus and
// OpenTelemetry: a name, labels that tell apart the samples of one name
// (the ring, the kind of operation, a histogram's bucket), and a value.
// Names ending in _total are counters (monotonic sums); the rest are
// gauges, except the _bucket, _sum and _count samples of
// uringfs_op_latency_seconds, a histogram in the Prometheus form.
type Metric struct {
	Name   string
	Labels []Label
	Value  float64
}

// Label is a name and value that qualify a Metric.
type Label struct{ Name, Value string }

// String formats m as a line of the Prometheus text exposition format.
func (m Metric) String() string {
	var b strings.Builder
	b.WriteString(m.Name)
	if len(m.Labels) > 0 {
		b.WriteByte('{')
		for i, l := range m.Labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.Name)
			b.WriteString("=")
			b.WriteString(strconv.Quote(l.Value))
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatFloat(m.Value, 'g', -1, 64))
	return b.String()
}

// Metrics returns s as named samples, ready to hand to a monitoring system
// without this package depending on its client library: a Prometheus
// collector or handler writes them out (Metric.String is a line of the
// text format), an OpenTelemetry observable instrument's callback observes
// each one. They are:
//
//   - uringfs_<count>_total for each field of Counters, its name in snake
//     case: uringfs_ops_total, uringfs_sqes_total, uringfs_nowait_hits_total...
//   - uringfs_ring_in_flight, uringfs_ring_slots_in_use, uringfs_ring_slots,
//     uringfs_ring_direct_in_use and uringfs_ring_direct_slots, labelled
//     with the ring's index (ring="0"), from Rings;
//   - uringfs_op_completions_total and uringfs_op_errors_total, labelled
//     with the kind of operation (op="read"), and the histogram
//     uringfs_op_latency_seconds (_bucket with the cumulative counts by
//     upper limit le, _sum, _count), for each kind a ring has completed.
func (s LoopStats) Metrics() []Metric {
	var out []Metric
	for _, c := range counterFields(s.Counters) {
		out = append(out, Metric{Name: "uringfs_" + c.name + "_total", Value: float64(c.value)})
	}
	for i, r := range s.Rings {
		ring := []Label{{"ring", strconv.Itoa(i)}}
		out = append(out,
			Metric{"uringfs_ring_in_flight", ring, float64(r.InFlight)},
			Metric{"uringfs_ring_slots_in_use", ring, float64(r.SlotsInUse)},
			Metric{"uringfs_ring_slots", ring, float64(r.Slots)},
			Metric{"uringfs_ring_direct_in_use", ring, float64(r.DirectInUse)},
			Metric{"uringfs_ring_direct_slots", ring, float64(r.DirectSlots)})
	}
	for _, o := range s.Ops {
		n := o.Latency.Count()
		if o.Ops == 0 && o.Fallbacks == 0 && n == 0 {
			continue
		}
		op := []Label{{"op", o.Op}}
		out = append(out,
			Metric{"uringfs_op_completions_total", op, float64(o.Ops)},
			Metric{"uringfs_op_errors_total", op, float64(o.Errors)},
			Metric{"uringfs_op_fallbacks_total", op, float64(o.Fallbacks)})
		var cum uint64
		for i, b := range o.Latency.Buckets {
			cum += b
			le := "+Inf"
			if lim := LatencyBucketLimit(i); lim > 0 {
				le = strconv.FormatFloat(lim.Seconds(), 'g', -1, 64)
			}
			out = append(out, Metric{"uringfs_op_latency_seconds_bucket", []Label{op[0], {"le", le}}, float64(cum)})
		}
		out = append(out,
			Metric{"uringfs_op_latency_seconds_sum", op, o.Latency.Sum.Seconds()},
			Metric{"uringfs_op_latency_seconds_count", op, float64(n)})
	}
	return out
}

type counterField struct {
	name  string
	value uint64
}

// counterFields lists the fields of c with their names in snake case
// (NowaitHits: nowait_hits, SQEs: sqes). Listing them by hand would let
// a count added to Counters be missed here.
func counterFields(c Counters) []counterField {
	v := reflect.ValueOf(c)
	out := make([]counterField, v.NumField())
	for i := range out {
		out[i] = counterField{snake(v.Type().Field(i).Name), v.Field(i).Uint()}
	}
	return out
}

// snake turns a Go field name into snake case: an underscore goes before
// each upper-case letter that follows a lower-case one.
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		if unicode.IsUpper(r) && prevLower {
			b.WriteByte('_')
		}
		prevLower = unicode.IsLower(r)
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
