package sched_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// Worker-only metadata ops run on the caller by default and on the ring with
// RingMetadata; both give the same answer.
func TestMetadataPlacement(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ringMeta := range []bool{false, true} {
		l := newLoop(t, sched.BackendURing, sched.Config{RingMetadata: ringMeta})
		before := l.Counters()
		var st unix.Statx_t
		if err := l.Statx(context.Background(), unix.AT_FDCWD, p, 0, unix.STATX_BASIC_STATS, &st); err != nil {
			t.Fatal(err)
		}
		if st.Size != 5 {
			t.Fatalf("RingMetadata=%v: size %d, want 5", ringMeta, st.Size)
		}
		if err := l.Mkdirat(context.Background(), unix.AT_FDCWD, filepath.Join(dir, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlinkat(context.Background(), unix.AT_FDCWD, filepath.Join(dir, "d"), unix.AT_REMOVEDIR); err != nil {
			t.Fatal(err)
		}
		direct := l.Counters().Direct - before.Direct
		if ringMeta && direct != 0 {
			t.Errorf("RingMetadata=true: %d ops ran on the caller, want 0", direct)
		}
		if !ringMeta && direct != 3 {
			t.Errorf("RingMetadata=false: %d ops ran on the caller, want 3", direct)
		}
	}
}
