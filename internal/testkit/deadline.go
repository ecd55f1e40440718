package testkit

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// TB is the part of testing.TB that Deadline uses.
type TB interface {
	Name() string
	Cleanup(func())
}

// Deadline bounds a test that can deadlock: if tb is still running after d,
// the process prints which test was stuck and every goroutine's stack, then
// exits with status 2. A hang then shows up as its own failure, at once and
// with the place it was stuck, instead of as the package's 20-minute
// timeout with whatever test happened to be running.
//
// The stop is a process exit, not t.Fatal: a stuck test cannot be made to
// return, and the goroutines it leaves would hang every later test.
func Deadline(tb TB, d time.Duration) {
	name := tb.Name()
	timer := time.AfterFunc(d, func() { stuck(name, d) })
	tb.Cleanup(func() { timer.Stop() })
}

func stuck(name string, d time.Duration) {
	fmt.Fprintf(os.Stderr, "--- FAIL: %s: still running after %v (a deadlock?); goroutines:\n%s\n", name, d, allStacks())
	os.Exit(2)
}

// allStacks is the stack of every goroutine, as runtime.Stack gives it.
func allStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}
