//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// startReads starts one READ per block of fd into bufs, unlinked, and
// counts the notifications per op.
func startReads(t *testing.T, l *sched.Loop, ctx context.Context, fd int, bufs [][]byte, blk int) (*sched.Flight, []*sched.Op, []atomic.Int32) {
	t.Helper()
	ops := make([]*sched.Op, len(bufs))
	for i := range ops {
		ops[i] = &sched.Op{Code: ring.OpRead, Fd: fd, Buf: bufs[i], Off: int64(i * blk)}
	}
	seen := make([]atomic.Int32, len(ops))
	f, err := l.Start(ctx, ops, nil, func(i int) { seen[i].Add(1) })
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return f, ops, seen
}

// TestStartReads starts many reads at once, more than the ring has slots
// for, and checks every byte and that each op was signalled exactly once.
func TestStartReads(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{Entries: 16, Rings: 1}, func(t *testing.T, l *sched.Loop) {
		const n, blk = 2000, 512
		data := pattern(n*blk, 3)
		p := filepath.Join(t.TempDir(), "f")
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDONLY, 0)
		bufs := make([][]byte, n)
		for i := range bufs {
			bufs[i] = make([]byte, blk)
		}
		f, ops, seen := startReads(t, l, bg, fd, bufs, blk)
		done := make(chan struct{})
		go func() { f.Wait(); close(done) }()
		hangGuard(t, "Start of 2000 reads", done)
		if err := f.Err(); err != nil {
			t.Fatalf("Err: %v", err)
		}
		for i, op := range ops {
			if op.Res != blk {
				t.Fatalf("op %d: Res %d", i, op.Res)
			}
			if !bytes.Equal(bufs[i], data[i*blk:(i+1)*blk]) {
				t.Fatalf("op %d: wrong data", i)
			}
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("op %d: notified %d times", i, c)
			}
		}
	})
}

// TestStart10000 runs a flight of 10,000 nops and stats on a tiny ring.
func TestStart10000(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{Entries: 8, Rings: 1}, func(t *testing.T, l *sched.Loop) {
		dir := t.TempDir()
		const n = 10000
		ops := make([]*sched.Op, n)
		sts := make([]unix.Statx_t, n)
		for i := range ops {
			if i%2 == 0 {
				ops[i] = &sched.Op{Code: ring.OpNop}
			} else {
				ops[i] = &sched.Op{Code: ring.OpStatx, Fd: unix.AT_FDCWD, Path: dir, Mode: unix.STATX_BASIC_STATS, Statx: &sts[i]}
			}
		}
		var notified atomic.Int64
		f, err := l.Start(bg, ops, nil, func(int) { notified.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		hangGuard(t, "10,000 ops", f.Done())
		if got := notified.Load(); got != n {
			t.Fatalf("%d notifications, want %d", got, n)
		}
		for i, op := range ops {
			if op.Res != 0 {
				t.Fatalf("op %d (%v): Res %d", i, op.Code, op.Res)
			}
			if i%2 == 1 && sts[i].Mode&unix.S_IFMT != unix.S_IFDIR {
				t.Fatalf("op %d: statx mode %o", i, sts[i].Mode)
			}
		}
	})
}

// TestStartOneEnter checks that ops started together share one
// io_uring_enter.
func TestStartOneEnter(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 256})
	ops := make([]*sched.Op, 100)
	for i := range ops {
		ops[i] = &sched.Op{Code: ring.OpNop}
	}
	before := l.Counters()
	f, err := l.Start(bg, ops, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hangGuard(t, "100 nops", f.Done())
	after := l.Counters()
	if d := after.SQEs - before.SQEs; d != 100 {
		t.Errorf("SQEs: %d, want 100", d)
	}
	if d := after.Enters - before.Enters; d != 1 {
		t.Errorf("io_uring_enter calls: %d, want 1", d)
	}
}

// TestStartLinks checks chain semantics: write→fsync→read succeeds in order;
// a failing op completes the rest of its chain with ECANCELED and leaves
// other chains alone; a path with a NUL byte fails without being submitted.
func TestStartLinks(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{}, func(t *testing.T, l *sched.Loop) {
		p := filepath.Join(t.TempDir(), "f")
		fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT, 0o644)
		msg := []byte("hello, linked world")
		got := make([]byte, len(msg))
		var order []int
		ops := []*sched.Op{
			{Code: ring.OpWrite, Fd: fd, Buf: msg, Off: 0},
			{Code: ring.OpFsync, Fd: fd},
			{Code: ring.OpRead, Fd: fd, Buf: got, Off: 0},
			// a second chain that breaks at its first op
			{Code: ring.OpRead, Fd: -1, Buf: make([]byte, 1), Off: 0},
			{Code: ring.OpNop},
			{Code: ring.OpNop},
			// a third one that cannot be prepared half way
			{Code: ring.OpNop},
			{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: "a\x00b"},
			{Code: ring.OpNop},
			// an unlinked op after it
			{Code: ring.OpNop},
		}
		links := []bool{true, true, false, true, true, false, true, true, false, false}
		var mu sync.Mutex // the syscall pool signals from several goroutines
		f, err := l.Start(bg, ops, links, func(i int) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		hangGuard(t, "links", f.Done())
		want := []int32{int32(len(msg)), 0, int32(len(msg)), -int32(unix.EBADF), -int32(unix.ECANCELED), -int32(unix.ECANCELED),
			0, -int32(unix.EINVAL), -int32(unix.ECANCELED), 0}
		for i, op := range ops {
			if op.Res != want[i] {
				t.Errorf("op %d (%v): Res %d, want %d", i, op.Code, op.Res, want[i])
			}
		}
		if !bytes.Equal(got, msg) {
			t.Errorf("read back %q", got)
		}
		pos := map[int]int{}
		for k, i := range order {
			pos[i] = k
		}
		if len(order) != len(ops) {
			t.Fatalf("%d notifications for %d ops", len(order), len(ops))
		}
		if !(pos[0] < pos[1] && pos[1] < pos[2]) {
			t.Errorf("chain completed out of order: %v", order)
		}
	})
}

// TestStartCancelStorm starts reads into sentinel-filled buffers and cancels
// flights at random moments, through Cancel, CancelOp and the context. Every
// op must end either with its full, correct data or cancelled, and no buffer
// may change after its flight reported done.
func TestStartCancelStorm(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	eachBackend(t, sched.Config{Entries: 32, Rings: 2}, func(t *testing.T, l *sched.Loop) {
		const n, blk, rounds = 200, 256, 30
		data := pattern(n*blk, 9)
		p := filepath.Join(t.TempDir(), "f")
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDONLY, 0)
		cancelledOps := 0
		for round := range rounds {
			bufs := make([][]byte, n)
			for i := range bufs {
				bufs[i] = bytes.Repeat([]byte{0xEE}, blk)
			}
			ctx, cancel := context.WithCancel(bg)
			f, ops, _ := startReads(t, l, ctx, fd, bufs, blk)
			switch round % 3 {
			case 0:
				time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
				f.Cancel()
			case 1:
				for range 20 {
					f.CancelOp(rand.IntN(n))
				}
			case 2:
				time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
				cancel()
			}
			hangGuard(t, "cancelled flight", f.Done())
			cancel()
			snap := make([][]byte, n)
			for i, op := range ops {
				snap[i] = bytes.Clone(bufs[i])
				switch op.Res {
				case blk:
					if !bytes.Equal(bufs[i], data[i*blk:(i+1)*blk]) {
						t.Fatalf("round %d op %d: completed with wrong data", round, i)
					}
				case -int32(unix.ECANCELED), -int32(unix.EINTR):
					cancelledOps++
				default:
					t.Fatalf("round %d op %d: Res %d", round, i, op.Res)
				}
			}
			if err := f.Err(); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("round %d: Err %v", round, err)
			}
			time.Sleep(time.Millisecond)
			for i := range bufs {
				if !bytes.Equal(snap[i], bufs[i]) {
					t.Fatalf("round %d op %d: buffer written after the flight was done", round, i)
				}
			}
		}
		t.Logf("%d of %d ops cancelled", cancelledOps, n*rounds)
	})
}

// TestStartCancelBlocked cancels reads blocked on pipes: they can only end
// through the cancellation, and Err reports it.
func TestStartCancelBlocked(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	ps := newPipes(t, 8)
	ops := make([]*sched.Op, 8)
	for i := range ops {
		ops[i] = &sched.Op{Code: ring.OpRead, Fd: ps.r[i], Buf: make([]byte, 16), Off: -1}
	}
	ctx, cancel := context.WithCancel(bg)
	f, err := l.Start(ctx, ops, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.Done():
		t.Fatal("blocked pipe reads completed by themselves")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	hangGuard(t, "cancelled pipe reads", f.Done())
	if err := f.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", err)
	}
	for i, op := range ops {
		if op.Res != -int32(unix.ECANCELED) && op.Res != -int32(unix.EINTR) {
			t.Errorf("op %d: Res %d", i, op.Res)
		}
	}
}

// TestStartClose closes a loop with flights in the ring and queued behind a
// full ring: Close returns, every flight completes, and Start afterwards
// fails with ErrClosed.
func TestStartClose(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	b := sched.BackendURing
	if syscallForced() {
		t.Skip("needs io_uring: pipe reads cannot be cancelled on the syscall backend")
	}
	l, err := sched.New(sched.Config{Backend: b, Rings: 1, Entries: 8})
	if err != nil {
		if errors.Is(err, sched.ErrUnavailable) {
			t.Skipf("io_uring refused: %v", err)
		}
		t.Fatal(err)
	}
	ps := newPipes(t, 20)
	ops := make([]*sched.Op, 20)
	for i := range ops {
		ops[i] = &sched.Op{Code: ring.OpRead, Fd: ps.r[i], Buf: make([]byte, 16), Off: -1}
	}
	f, err := l.Start(bg, ops, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { l.Close(); close(closed) }()
	hangGuard(t, "Close with flights", closed)
	hangGuard(t, "flight after Close", f.Done())
	if err := f.Err(); !errors.Is(err, sched.ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", err)
	}
	if _, err := l.Start(bg, ops[:1], nil, nil); !errors.Is(err, sched.ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
}

// TestStartArgs checks the errors of the call itself.
func TestStartArgs(t *testing.T) {
	eachBackend(t, sched.Config{}, func(t *testing.T, l *sched.Loop) {
		ops := []*sched.Op{{Code: ring.OpNop}}
		if _, err := l.Start(bg, ops, []bool{true, false}, nil); err == nil {
			t.Error("Start with mismatched links succeeded")
		}
		ctx, cancel := context.WithCancel(bg)
		cancel()
		if _, err := l.Start(ctx, ops, nil, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Start with a done context: %v", err)
		}
		f, err := l.Start(bg, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		<-f.Done()
	})
}

// TestStartNoGoroutinePerOp checks that ops waiting in the ring cost no
// goroutine: 200 blocked pipe reads in flight leave the goroutine count as
// it was (give or take the runtime's own).
func TestStartNoGoroutinePerOp(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 512})
	const n = 200
	ps := newPipes(t, n)
	ops := make([]*sched.Op, n)
	for i := range ops {
		ops[i] = &sched.Op{Code: ring.OpRead, Fd: ps.r[i], Buf: make([]byte, 8), Off: -1}
	}
	before := runtime.NumGoroutine()
	f, err := l.Start(bg, ops, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	during := runtime.NumGoroutine()
	f.Cancel()
	hangGuard(t, "cancelled pipe reads", f.Done())
	if during-before > 5 {
		t.Errorf("%d goroutines with %d ops in flight, %d before", during, n, before)
	}
}
