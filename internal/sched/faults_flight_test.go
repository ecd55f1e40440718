//go:build linux

package sched_test

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// The tests here check that a FaultPlan reaches the ops of a Flight
// (Loop.Start) as it reaches those of Do and Chain: every SQE the loop
// publishes, whichever path publishes it (Start itself, or the feeder that
// hands the ring the chains that did not fit), goes through the plan.

// codeOn picks the ops of opcode code on fd only.
func codeOn(code ring.Opcode, fd int) func(ring.Opcode, int) bool {
	return func(c ring.Opcode, f int) bool { return c == code && f == fd }
}

// fileBytes reads the file at p with os, past the loop under test.
func fileBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// faultsBreakChains reports whether a faulted op breaks its chain on this
// kernel, and the kernel's release. The plan replaces the op by a NOP that
// fails with the chosen errno (IORING_NOP_INJECT_RESULT, Linux 6.10), which
// breaks the chain as a real failure does; earlier kernels complete that
// NOP with 0, and the plan substitutes the errno only at the CQE, after the
// ops linked to it were started.
func faultsBreakChains(t *testing.T) (bool, string) {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var major, minor int
	if _, err := fmt.Sscanf(rel, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", rel, err)
	}
	return major > 6 || major == 6 && minor >= 10, rel
}

// startWait starts ops on l, waits for the flight and checks that each op
// was signalled exactly once. Flight.Err is nil: no op was cancelled, a
// failed op's error is in its Res.
func startWait(t *testing.T, l *sched.Loop, ops []*sched.Op, links []bool) {
	t.Helper()
	var mu sync.Mutex // the pool signals from several goroutines
	seen := make([]int, len(ops))
	f, err := l.Start(bg, ops, links, func(i int) {
		mu.Lock()
		seen[i]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	hangGuard(t, "flight with faults", f.Done())
	if err := f.Err(); err != nil {
		t.Errorf("Flight.Err = %v, want nil (nothing was cancelled)", err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("op %d signalled %d times", i, n)
		}
	}
}

// TestFaultFlightOp injects EIO into a READ and a WRITE started with
// Loop.Start: each completes with -EIO, the write leaves the file as it
// was, and the next op, once the plan's faults are used up, runs normally.
func TestFaultFlightOp(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	want := pattern(8192, 13)
	p, fd := faultFile(t, want)
	plan := &sched.FaultPlan{Match: onFd(fd), Ops: []sched.Fault{{Errno: unix.EIO}, {Errno: unix.EIO}}}
	l := faultLoop(t, sched.Config{}, plan)

	buf := make([]byte, 4096)
	rd := sched.ReadOp(fd, buf, 100)
	startWait(t, l, []*sched.Op{&rd}, nil)
	if rd.Res != -int32(unix.EIO) {
		t.Errorf("READ through Start: Res %d, want -EIO (%d)", rd.Res, -int32(unix.EIO))
	}

	wr := sched.WriteOp(fd, bytes.Repeat([]byte{0xEE}, 1000), 500)
	startWait(t, l, []*sched.Op{&wr}, nil)
	if wr.Res != -int32(unix.EIO) {
		t.Errorf("WRITE through Start: Res %d, want -EIO (%d)", wr.Res, -int32(unix.EIO))
	}
	if got := plan.Injected(); got != 2 {
		t.Errorf("plan injected %d faults into Start's ops, want 2", got)
	}
	if got := fileBytes(t, p); !bytes.Equal(got, want) {
		t.Errorf("a WRITE that failed with EIO changed the file")
	}

	// The plan's faults are used up: the next op runs.
	ok := sched.ReadOp(fd, buf, 4096)
	startWait(t, l, []*sched.Op{&ok}, nil)
	if ok.Res != 4096 || !bytes.Equal(buf, want[4096:]) {
		t.Errorf("READ after the faults: Res %d (bytes match: %v), want 4096", ok.Res, bytes.Equal(buf, want[4096:]))
	}
}

// TestFaultFlightChain injects EIO into the WRITE in the middle of a linked
// flight chain READ -> WRITE -> FSYNC -> READ. As when the kernel fails a
// linked op, the READ before it completes, the ops after it complete with
// -ECANCELED (where the kernel can fail the fault's NOP: faultsBreakChains),
// and an unlinked op of the same flight is untouched.
func TestFaultFlightChain(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	want := pattern(8192, 17)
	p, fd := faultFile(t, want)
	plan := &sched.FaultPlan{Match: codeOn(ring.OpWrite, fd), Ops: []sched.Fault{{Errno: unix.EIO}}}
	l := faultLoop(t, sched.Config{}, plan)

	first, last, alone := make([]byte, 1000), make([]byte, 1000), make([]byte, 1000)
	rd1 := sched.ReadOp(fd, first, 0)
	wr := sched.WriteOp(fd, bytes.Repeat([]byte{0xEE}, 1000), 0)
	fsync := sched.FsyncOp(fd, false)
	rd2 := sched.ReadOp(fd, last, 0)
	rd3 := sched.ReadOp(fd, alone, 2000)
	ops := []*sched.Op{&rd1, &wr, &fsync, &rd2, &rd3}
	links := []bool{true, true, true, false, false}
	startWait(t, l, ops, links)

	if rd1.Res != 1000 || !bytes.Equal(first, want[:1000]) {
		t.Errorf("READ before the fault: Res %d (bytes match: %v), want 1000", rd1.Res, bytes.Equal(first, want[:1000]))
	}
	if wr.Res != -int32(unix.EIO) {
		t.Errorf("faulted WRITE: Res %d, want -EIO (%d)", wr.Res, -int32(unix.EIO))
	}
	if rd3.Res != 1000 || !bytes.Equal(alone, want[2000:3000]) {
		t.Errorf("unlinked READ: Res %d (bytes match: %v), want 1000", rd3.Res, bytes.Equal(alone, want[2000:3000]))
	}
	if got := plan.Injected(); got != 1 {
		t.Errorf("plan injected %d faults, want 1", got)
	}
	if got := fileBytes(t, p); !bytes.Equal(got, want) {
		t.Errorf("a chain whose WRITE failed changed the file")
	}
	if ok, rel := faultsBreakChains(t); !ok {
		t.Skipf("Linux %s completes the fault's NOP with 0 (IORING_NOP_INJECT_RESULT is 6.10), so the ops linked after it run: not checked", rel)
	}
	for _, op := range []*sched.Op{&fsync, &rd2} {
		if op.Res != -int32(unix.ECANCELED) {
			t.Errorf("%v linked after the faulted WRITE: Res %d, want -ECANCELED (%d)", op.Code, op.Res, -int32(unix.ECANCELED))
		}
	}
}

// TestFaultFlightFeeder starts more reads than a four-entry ring has slots
// for, so that most are handed to the ring by the flight's feeder as slots
// free up, with every other read planned to fail: the plan reaches the
// feeder's SQEs too, each faulted read reports -EIO and every other read
// has its bytes.
func TestFaultFlightFeeder(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const n, blk = 64, 512
	want := pattern(n*blk, 19)
	_, fd := faultFile(t, want)
	plan := &sched.FaultPlan{Match: codeOn(ring.OpRead, fd), Ops: []sched.Fault{{Errno: unix.EIO}, {}}, Repeat: true}
	l := faultLoop(t, sched.Config{Entries: 4}, plan)

	ops := make([]*sched.Op, n)
	for i := range ops {
		op := sched.ReadOp(fd, make([]byte, blk), int64(i*blk))
		ops[i] = &op
	}
	startWait(t, l, ops, nil)
	failed := 0
	for i, op := range ops {
		switch {
		case op.Res == -int32(unix.EIO):
			failed++
		case op.Res != blk || !bytes.Equal(op.Buf, want[i*blk:(i+1)*blk]):
			t.Errorf("read %d: Res %d (bytes match: %v), want %d or -EIO", i, op.Res, bytes.Equal(op.Buf, want[i*blk:(i+1)*blk]), blk)
		}
	}
	if failed != n/2 || plan.Injected() != n/2 {
		t.Errorf("%d reads failed with EIO and the plan injected %d faults; want %d of each", failed, plan.Injected(), n/2)
	}
}
