//go:build linux

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
		direct := l.Counters().OnCaller - before.OnCaller
		if ringMeta && direct != 0 {
			t.Errorf("RingMetadata=true: %d ops ran on the caller, want 0", direct)
		}
		if !ringMeta && direct != 3 {
			t.Errorf("RingMetadata=false: %d ops ran on the caller, want 3", direct)
		}
	}
}

// PwriteBuffered runs on the caller when its context cannot be cancelled and
// on the ring when it can; the bytes land the same either way.
func TestPwriteBufferedPlacement(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{})
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	before := l.Counters().OnCaller
	if n, err := l.PwriteBuffered(context.Background(), fd, []byte("abc"), 0); n != 3 || err != nil {
		t.Fatalf("caller-side write: %d, %v", n, err)
	}
	if d := l.Counters().OnCaller - before; d != 1 {
		t.Errorf("caller-side write counted %d direct ops, want 1", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before = l.Counters().OnCaller
	if n, err := l.PwriteBuffered(ctx, fd, []byte("def"), -1); n != 3 || err != nil {
		t.Fatalf("ring write: %d, %v", n, err)
	}
	if d := l.Counters().OnCaller - before; d != 0 {
		t.Errorf("cancellable write ran on the caller (%d direct ops)", d)
	}
	got, err := os.ReadFile(p)
	// off -1 writes at the file offset, which the positioned write left at 0.
	if err != nil || string(got) != "def" {
		t.Fatalf("file holds %q (%v), want \"def\"", got, err)
	}
	if _, err := l.PwriteBuffered(context.Background(), -1, []byte("x"), 0); err != unix.EBADF {
		t.Errorf("bad fd: %v, want EBADF", err)
	}
}
