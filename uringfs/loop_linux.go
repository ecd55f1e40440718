package uringfs

import (
	"context"

	"github.com/uringfs/uring/internal/sched"
)

// Counters are the event loop's cumulative counters: operations, syscalls
// into io_uring, SQEs per enter, inline completions, parks and fallbacks.
// Benchmarks and tests read them to see where time goes.
type Counters = sched.Counters

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

// LoopCounters returns a snapshot of the process-wide loop's counters.
func LoopCounters() Counters {
	l, err := loop()
	if err != nil {
		return Counters{}
	}
	return l.Counters()
}

var background = context.Background()
