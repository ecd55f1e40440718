//go:build linux

package sched_test

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// pipeFlight starts a one-byte read of the pipe r on lane and returns the
// flight and a flag its notify sets. Nothing is written to the pipe, so
// the read stays in flight until the test writes.
func pipeFlight(t *testing.T, l *sched.Loop, lane sched.Lane, r int) (*sched.Flight, *sched.Op, *atomic.Bool) {
	t.Helper()
	op := &sched.Op{Code: ring.OpRead, Fd: r, Buf: make([]byte, 1), Off: -1}
	var done atomic.Bool
	f, err := l.StartOn(bg, lane, []*sched.Op{op}, nil, func(int) { done.Store(true) })
	if err != nil {
		t.Fatal(err)
	}
	return f, op, &done
}

// awaitIn runs Await in a new goroutine and returns once it sleeps in the
// kernel.
func awaitIn(t *testing.T, l *sched.Loop, lane sched.Lane, ready func() bool) <-chan bool {
	t.Helper()
	before := l.Counters().KernelWaits
	out := make(chan bool, 1)
	go func() { out <- l.Await(lane, ready) }()
	deadline := time.Now().Add(30 * time.Second)
	for l.Counters().KernelWaits == before {
		select {
		case ok := <-out:
			t.Fatalf("Await returned %v before anything completed", ok)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Await never slept in the kernel: %+v", l.Counters())
		}
		time.Sleep(time.Millisecond)
	}
	return out
}

func awaitResult(t *testing.T, what string, c <-chan bool) bool {
	t.Helper()
	select {
	case ok := <-c:
		return ok
	case <-time.After(45 * time.Second):
		t.Fatalf("%s: Await still asleep after 45s", what)
		return false
	}
}

// TestAwait covers waiting for one's own flights inside io_uring_enter:
// the completion is reaped (and notify run) by the waiting goroutine;
// Wake rouses it for a condition that changed elsewhere; it declines when
// there is nothing to wait for or when a Do caller shares the ring; and
// Close wakes it.
func TestAwait(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	lane := l.Lane()
	r, w := pipeFds(t)

	if l.Await(lane, func() bool { return false }) {
		t.Fatal("Await with nothing in flight reported ready")
	}
	if l.Await(sched.Lane{}, func() bool { return true }) {
		t.Fatal("Await on the zero Lane waited")
	}

	// The completion wakes it, and notify runs before ready is asked.
	f, op, done := pipeFlight(t, l, lane, r)
	c := awaitIn(t, l, lane, done.Load)
	if _, err := unix.Write(w, []byte{'a'}); err != nil {
		t.Fatal(err)
	}
	if !awaitResult(t, "own completion", c) {
		t.Fatal("Await returned false for its own completion")
	}
	select {
	case <-f.Done():
	default:
		t.Fatal("Await returned before the flight was done")
	}
	if op.Res != 1 || op.Buf[0] != 'a' {
		t.Fatalf("read got res %d byte %q", op.Res, op.Buf[0])
	}

	// Wake: the condition comes true without a completion on the ring.
	f, op, _ = pipeFlight(t, l, lane, r)
	var flag atomic.Bool
	wakes := l.Counters().Wakes
	c = awaitIn(t, l, lane, flag.Load)
	flag.Store(true)
	lane.Wake()
	if !awaitResult(t, "Wake", c) {
		t.Fatal("Await returned false after Wake")
	}
	if got := l.Counters().Wakes - wakes; got != 1 {
		t.Errorf("Wakes rose by %d, want 1", got)
	}
	lane.Wake() // nobody asleep: nothing to do
	if got := l.Counters().Wakes - wakes; got != 1 {
		t.Errorf("Wake with nobody asleep submitted a NOP (Wakes +%d)", got)
	}

	// Another owner of flights on the ring, or another waiter: Await
	// declines, so that goroutines its sleep would keep off the P run.
	for _, company := range []struct {
		name       string
		begin, end func()
	}{
		{"owner", lane.AddOwner, lane.DropOwner},
		{"waiter", lane.BeginWait, lane.EndWait},
	} {
		company.begin()
		company.begin()
		declined := make(chan bool, 1)
		go func() { declined <- l.Await(lane, func() bool { return false }) }()
		select {
		case ok := <-declined:
			if ok {
				t.Fatalf("Await beside another %s reported ready", company.name)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Await beside another %s went to sleep", company.name)
			unix.Write(w, []byte{'z'}) // wake it; the flight below then reads 'z'
			<-declined
		}
		company.end()
		company.end()
	}

	// A Do caller waits on the ring (parked: the flight's read is in
	// flight too, so it is not alone): Await declines, and leaves the
	// reaping to the ring's worker.
	parks := l.Counters().Parks
	rc := make(chan readResult, 1)
	go func() {
		buf := make([]byte, 1)
		n, err := l.Pread(bg, r, buf, -1)
		rc <- readResult{n, buf[0], err}
	}()
	for deadline := time.Now().Add(30 * time.Second); l.Counters().Parks == parks; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the Do caller never parked")
		}
	}
	declined := make(chan bool, 1)
	go func() { declined <- l.Await(lane, func() bool { return false }) }()
	select {
	case ok := <-declined:
		if ok {
			t.Fatal("Await beside a Do caller reported ready")
		}
	case <-time.After(10 * time.Second):
		t.Error("Await beside a Do caller went to sleep")
	}
	if _, err := unix.Write(w, []byte{'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	if res := receive(t, "Do caller", rc); res.err != nil || res.n != 1 {
		t.Fatalf("Do caller got %+v", res)
	}
	waitDone(t, f)
	if op.Res != 1 {
		t.Fatalf("flight read got res %d", op.Res)
	}

	// Close under it: its cancel-all wakes the sleeper, which lets Close
	// finish, and the flight ends cancelled.
	l2, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1})
	if err != nil {
		t.Fatal(err)
	}
	lane2 := l2.Lane()
	f, op, done = pipeFlight(t, l2, lane2, r)
	c = awaitIn(t, l2, lane2, done.Load)
	if err := l2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	awaitResult(t, "Close", c)
	waitDone(t, f)
	if op.Res != -int32(unix.ECANCELED) && op.Res != -int32(unix.EINTR) {
		t.Fatalf("flight at Close ended with res %d, want -ECANCELED or -EINTR", op.Res)
	}
	if l2.Await(lane2, func() bool { return false }) {
		t.Fatal("Await on a closed loop reported ready")
	}
}

func waitDone(t *testing.T, f *sched.Flight) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(45 * time.Second):
		t.Fatal("flight not done after 45s")
	}
}
