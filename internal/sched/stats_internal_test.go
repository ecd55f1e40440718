//go:build linux

package sched

import (
	"runtime"
	"testing"

	"github.com/uringfs/uring/internal/ring"
)

// BenchmarkStatsCost measures what the stats add to each operation through
// a ring, apart from the noise of the ring itself: countCQE, run by the
// reap for every completion, and timeStart/timeEnd, run by every single-op
// submission (timing one in 64). parallel shows that the per-P stripes
// keep Ps from contending.
func BenchmarkStatsCost(b *testing.B) {
	l := &Loop{stripes: make([]counters, runtime.GOMAXPROCS(0))}
	ops := []*Op{{Code: ring.OpRead}}
	b.Run("countCQE/serial", func(b *testing.B) {
		for b.Loop() {
			l.countCQE(ops[0])
		}
	})
	b.Run("countCQE/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			op := &Op{Code: ring.OpRead}
			for pb.Next() {
				l.countCQE(op)
			}
		})
	})
	b.Run("time/serial", func(b *testing.B) {
		for b.Loop() {
			l.timeEnd(timeStart(ops), ops)
		}
	})
	b.Run("time/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			ops := []*Op{{Code: ring.OpRead}}
			for pb.Next() {
				l.timeEnd(timeStart(ops), ops)
			}
		})
	})
	b.Run("timeAlways/serial", func(b *testing.B) {
		// What timing every op would cost instead.
		for b.Loop() {
			l.timeEnd(nanotime(), ops)
		}
	})
}
