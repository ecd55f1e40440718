package main

import (
	"testing"
	"time"
)

func TestLatBuckets(t *testing.T) {
	// Every value falls in the bucket whose bounds hold it, and buckets
	// follow each other without gaps.
	var next uint64
	for b := range latBuckets {
		low, width := latBounds(b)
		if low != next {
			t.Fatalf("bucket %d starts at %d, want %d", b, low, next)
		}
		for _, v := range []uint64{low, low + width/2, low + width - 1} {
			if got := latBucket(v); got != b {
				t.Fatalf("value %d in bucket %d, want %d", v, got, b)
			}
		}
		next = low + width
	}
	if next != 0 { // the last bucket ends at 2^64, which wraps
		t.Errorf("buckets end at %d, want 2^64", next)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var a, b histogram
	if a.quantile(0.5) != 0 {
		t.Errorf("empty histogram has a median")
	}
	// 1..1000 µs, split over two histograms as over two workers.
	for i := 1; i <= 1000; i++ {
		h := &a
		if i%2 == 0 {
			h = &b
		}
		h.add(time.Duration(i) * time.Microsecond)
	}
	a.merge(&b)
	if a.n != 1000 {
		t.Fatalf("merged %d samples, want 1000", a.n)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {0.999, 999 * time.Microsecond}, {1, 1000 * time.Microsecond}} {
		got := a.quantile(c.q)
		if diff := float64(got-c.want) / float64(c.want); diff < -0.04 || diff > 0.04 {
			t.Errorf("quantile(%v) = %v, want %v within 4%%", c.q, got, c.want)
		}
	}
	var small histogram
	small.add(7)
	small.add(-3) // a clock step back counts as 0, not as a huge value
	if got := small.quantile(1); got != 7 {
		t.Errorf("max of {0, 7} = %v, want 7ns", got)
	}
}
