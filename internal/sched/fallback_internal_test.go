//go:build linux

package sched

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// TestOpcodeFallback runs an io_uring loop whose probe lacks FSYNC and
// FALLOCATE, as an older kernel's would: those ops run as system calls,
// alone, in a chain and in a flight, with the results the ring would give,
// and are counted as fallbacks in total and per kind.
func TestOpcodeFallback(t *testing.T) {
	l, err := New(Config{Backend: BackendURing})
	if err != nil {
		t.Skipf("io_uring: %v", err)
	}
	defer l.Close()
	l.probe = l.probe.Without(ring.OpFsync, ring.OpFallocate)
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	ctx := context.Background()

	if err := l.Fsync(ctx, fd, false); err != nil {
		t.Fatalf("Fsync: %v", err)
	}
	if err := l.Fallocate(ctx, fd, 0, 0, 8192); err != nil {
		t.Fatalf("Fallocate: %v", err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 8192 {
		t.Fatalf("size after the fallen-back FALLOCATE: %v, %v", fi, err)
	}
	// A chain with one missing opcode runs wholly as system calls, with
	// link semantics: the FSYNC on a bad descriptor fails and cancels the
	// write after it.
	buf := []byte("never written")
	sync := FsyncOp(-1, false)
	write := WriteOp(fd, buf, 0)
	if err := l.Chain(ctx, []*Op{&sync, &write}); err != nil {
		t.Fatalf("Chain: %v", err)
	}
	if sync.Res != -int32(unix.EBADF) || write.Res != -int32(unix.ECANCELED) {
		t.Errorf("chain results %d, %d, want -EBADF, -ECANCELED", sync.Res, write.Res)
	}
	// A flight with a missing opcode runs on the pool.
	fsync := FsyncOp(fd, true)
	fl, err := l.Start(ctx, []*Op{&fsync}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Wait(); err != nil || fsync.Res != 0 {
		t.Fatalf("flight: %v, res %d", err, fsync.Res)
	}

	if got := l.Counters().Fallbacks; got != 5 {
		t.Errorf("Counters.Fallbacks = %d, want 5", got)
	}
	want := map[string]uint64{"fsync": 3, "fallocate": 1, "write": 1}
	for _, k := range l.OpStats() {
		if k.Fallbacks != want[k.Name] {
			t.Errorf("%s: %d fallbacks, want %d", k.Name, k.Fallbacks, want[k.Name])
		}
		if (k.Name == "fsync" || k.Name == "fallocate") && k.Ops != 0 {
			t.Errorf("%s: %d ring completions, want 0", k.Name, k.Ops)
		}
	}
}
