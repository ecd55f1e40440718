//go:build linux

package sched_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

type readResult struct {
	n   int
	b   byte
	err error
}

// blockedRead reads one byte from the pipe r on l in a new goroutine and
// returns once that goroutine sleeps inside io_uring_enter for it. A pipe
// with nothing written keeps the read in flight for as long as the test
// wants, which a file read would not.
func blockedRead(t *testing.T, l *sched.Loop, r int) <-chan readResult {
	t.Helper()
	before := l.Counters().KernelWaits
	out := make(chan readResult, 1)
	go func() {
		buf := make([]byte, 1)
		n, err := l.Pread(bg, r, buf, -1)
		out <- readResult{n, buf[0], err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for l.Counters().KernelWaits == before {
		select {
		case res := <-out:
			t.Fatalf("read of an empty pipe returned %+v", res)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("a lone reader never waited in the kernel: %+v", l.Counters())
		}
		time.Sleep(time.Millisecond)
	}
	return out
}

func receive(t *testing.T, what string, c <-chan readResult) readResult {
	t.Helper()
	select {
	case res := <-c:
		return res
	case <-time.After(45 * time.Second):
		t.Fatalf("%s: no result after 45s", what)
		return readResult{}
	}
}

// TestKernelWait covers a lone caller waiting for its completion inside
// io_uring_enter: the completion wakes it; other goroutines that submit
// while it sleeps are served and their completions hand it back to an
// ordinary park; Loop.Close cancels it with ErrClosed, as it does a parked
// caller.
func TestKernelWait(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	r, w := pipeFds(t)

	// Woken by its own completion.
	c := blockedRead(t, l, r)
	if _, err := unix.Write(w, []byte{'a'}); err != nil {
		t.Fatal(err)
	}
	if res := receive(t, "lone reader", c); res.err != nil || res.n != 1 || res.b != 'a' {
		t.Fatalf("lone reader got %+v, want the byte 'a'", res)
	}

	// Company while it sleeps: their ops complete, and so does its read.
	c = blockedRead(t, l, r)
	for i := range 100 {
		if err := l.Nop(bg); err != nil {
			t.Fatalf("Nop %d beside a kernel waiter: %v", i, err)
		}
	}
	select {
	case res := <-c:
		t.Fatalf("read of an empty pipe returned %+v", res)
	default:
	}
	if _, err := unix.Write(w, []byte{'b'}); err != nil {
		t.Fatal(err)
	}
	if res := receive(t, "reader with company", c); res.err != nil || res.n != 1 || res.b != 'b' {
		t.Fatalf("reader with company got %+v, want the byte 'b'", res)
	}

	// Close under it.
	l2, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1})
	if err != nil {
		t.Fatal(err)
	}
	c = blockedRead(t, l2, r)
	if err := l2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if res := receive(t, "reader at Close", c); !errors.Is(res.err, sched.ErrClosed) {
		t.Fatalf("reader at Close got %+v, want ErrClosed", res)
	}
}
