package uringfs

import (
	"context"

	"github.com/uringfs/uring/internal/sched"
)

// loop returns the process-wide event loop, started on first use.
func loop() (*sched.Loop, error) { return sched.Default() }

// Backend reports which backend the process-wide loop runs on: "uring" or
// "syscall". With URINGFS_BACKEND=uring on a system that refuses io_uring it
// returns the error that refused it.
func Backend() (string, error) {
	l, err := loop()
	if err != nil {
		return "", err
	}
	return l.Backend(), nil
}

// FallbackReason says why the syscall backend is in use (nil on io_uring).
func FallbackReason() error {
	l, err := loop()
	if err != nil {
		return err
	}
	return l.FallbackReason()
}

// LoopCounters returns a snapshot of the process-wide loop's counters, all
// zero if the loop could not start.
func LoopCounters() Counters {
	l, err := loop()
	if err != nil {
		return Counters{}
	}
	// A struct conversion compiles only while Counters has exactly the
	// loop's fields in the loop's order, so a count the loop adds cannot
	// be left out of the public type.
	return Counters(l.Counters())
}

var background = context.Background()
