package sched_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

func TestLatencyBuckets(t *testing.T) {
	if got := sched.LatencyBucket(0); got != 0 {
		t.Errorf("bucket of 0ns = %d, want 0", got)
	}
	for i := 0; i < sched.LatencyBuckets-1; i++ {
		lim := int64(sched.LatencyBucketLimit(i))
		if got := sched.LatencyBucket(lim - 1); got != i {
			t.Errorf("bucket of %dns = %d, want %d", lim-1, got, i)
		}
		if got := sched.LatencyBucket(lim); got != i+1 {
			t.Errorf("bucket of %dns = %d, want %d", lim, got, i+1)
		}
		if i > 0 && lim != 2*int64(sched.LatencyBucketLimit(i-1)) {
			t.Errorf("limit %d = %d, not twice the previous", i, lim)
		}
	}
	if got := sched.LatencyBucket(1 << 62); got != sched.LatencyBuckets-1 {
		t.Errorf("bucket of 2^62ns = %d, want the last", got)
	}
	if sched.LatencyBucketLimit(sched.LatencyBuckets-1) != 0 {
		t.Error("the last bucket has a limit")
	}
}

func opStats(l *sched.Loop, name string) sched.OpStats {
	for _, s := range l.OpStats() {
		if s.Name == name {
			return s
		}
	}
	return sched.OpStats{}
}

// TestOpStats checks that reads and their errors through a ring are
// counted by kind and timed, and that the gauges describe the rings.
func TestOpStats(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 2}, func(t *testing.T, l *sched.Loop) {
		ctx := context.Background()
		dir := t.TempDir()
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, make([]byte, 4096), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		d, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		before := opStats(l, "read")
		const reads = 64 * 40
		buf := make([]byte, 512)
		for i := 0; i < reads; i++ {
			if _, err := l.Pread(ctx, int(f.Fd()), buf, 0); err != nil {
				t.Fatal(err)
			}
		}
		const bad = 3
		for i := 0; i < bad; i++ {
			if _, err := l.Pread(ctx, int(d.Fd()), buf, 0); !errors.Is(err, unix.EISDIR) {
				t.Fatalf("read of a directory: %v, want EISDIR", err)
			}
		}
		after := opStats(l, "read")
		gauges := l.Gauges()
		if l.Backend() == sched.BackendSyscall {
			if after.Ops != 0 || len(gauges) != 0 {
				t.Errorf("syscall backend: read stats %+v, gauges %+v; want none", after, gauges)
			}
			return
		}
		if got := after.Ops - before.Ops; got != reads+bad {
			t.Errorf("read Ops moved by %d, want %d", got, reads+bad)
		}
		if got := after.Errors - before.Errors; got != bad {
			t.Errorf("read Errors moved by %d, want %d", got, bad)
		}
		var timed uint64
		for _, n := range after.Latency {
			timed += n
		}
		// One in 64 is timed at random: none of 2560 is a 1e-9 chance.
		if timed == 0 || timed > reads+bad || after.LatencySum == 0 {
			t.Errorf("read latency: %d timed, sum %dns, of %d reads", timed, after.LatencySum, reads+bad)
		}
		if len(gauges) != l.Rings() {
			t.Fatalf("%d gauges for %d rings", len(gauges), l.Rings())
		}
		for i, g := range gauges {
			if g.Slots <= 0 || g.InFlight != 0 || g.SlotsInUse != 0 || g.DirectInUse != 0 {
				t.Errorf("idle ring %d: %+v", i, g)
			}
		}
	})
}
