//go:build linux

package sched_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
)

// BenchmarkRingPath measures the ring path the stats count on: a NOP and a
// 512-byte read of a page-cached file through Do, by one goroutine and by
// as many as there are Ps. It is the A/B of the stats' cost:
//
//	go test -run - -bench RingPath -count 10 ./internal/sched
//
// BENCHMARKS.md ("Cost of the loop's statistics") holds the figures.
func BenchmarkRingPath(b *testing.B) {
	l := newLoop(b, sched.BackendURing, sched.Config{})
	name := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 4096), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	ctx := context.Background()
	for _, c := range []struct {
		name string
		op   func(buf []byte) error
	}{
		{"nop", func([]byte) error { op := sched.Op{Code: ring.OpNop}; return l.Do(ctx, &op) }},
		{"read", func(buf []byte) error { _, err := l.Pread(ctx, fd, buf, 0); return err }},
	} {
		b.Run(c.name+"/serial", func(b *testing.B) {
			buf := make([]byte, 512)
			for b.Loop() {
				if err := c.op(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 512)
				for pb.Next() {
					if err := c.op(buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
