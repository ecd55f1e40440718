package main

import (
	"math"
	"math/bits"
	"time"
)

// The latency histogram is log-linear: below 2^latSubBits ns every value has
// its own bucket, and above that each power of two is cut into
// 2^latSubBits equal buckets. With 32 buckets per octave a percentile is off
// by at most about 3%, the array is a fixed 15 KiB per goroutine whatever the
// run length, and recording is a shift and an increment: a sample slice
// would grow with the op count and sorting it would cost more than the run.
const (
	latSubBits = 5
	latSub     = 1 << latSubBits
	latBuckets = (64 - latSubBits + 1) << latSubBits
)

// histogram counts op latencies in nanoseconds. Each worker owns one and
// writes it without locks; the phase merges them after the workers end.
type histogram struct {
	counts [latBuckets]uint64
	n      uint64
}

// latBucket is the bucket holding v.
func latBucket(v uint64) int {
	if v < latSub {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - latSubBits
	return (shift+1)<<latSubBits | int(v>>shift)&(latSub-1)
}

// latBounds is the smallest value of bucket b and the bucket's width.
func latBounds(b int) (low, width uint64) {
	if b < latSub {
		return uint64(b), 1
	}
	shift := b>>latSubBits - 1
	return uint64(latSub+b&(latSub-1)) << shift, 1 << shift
}

func (h *histogram) add(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[latBucket(v)]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile is the value below or at which a share q of the samples lie,
// as the middle of its bucket; 0 for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := min(max(uint64(math.Ceil(q*float64(h.n))), 1), h.n)
	var seen uint64
	for b, c := range h.counts {
		if seen += c; seen >= rank {
			low, width := latBounds(b)
			return time.Duration(low + (width-1)/2)
		}
	}
	return 0 // not reached: the counts sum to n
}
