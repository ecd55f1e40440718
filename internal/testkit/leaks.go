package testkit

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// M is the part of *testing.M that Main and Run use.
type M interface{ Run() int }

// Main runs m's tests with the leak check of Run and exits with the result.
// A TestMain that needs nothing else is one line:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
func Main(m M, release ...func()) { os.Exit(Run(m, release...)) }

// Run runs m's tests and returns their exit code, turned from 0 into 1 when
// the tests passed but left behind
//
//   - a goroutine running code of this module (a frame, or the "created by"
//     line, names a github.com/uringfs/uring package), or
//   - a file descriptor (on Linux, read from /proc/self/fd; elsewhere this
//     part of the check is off),
//
// that was not there when Run was called. Anything a TestMain sets up
// before calling Run, like a process-wide event loop that lives until exit
// by design, is part of that baseline. The runtime's netpoller, whose
// descriptors stay open for the life of the process, is started first so
// that it is part of the baseline too.
//
// Goroutines on their way out and files whose only reference was dropped
// (an unreachable *os.File is closed by its cleanup) get a grace of a few
// seconds, with a garbage collection every 20ms, before anything is
// reported. The report names each leaked goroutine with its stack and each
// descriptor with what it refers to.
//
// There is no check when the tests failed (their failure says more) or
// when the process runs the fuzzing engine, whose coordinator and workers
// open pipes and shared memory of their own outside the tests.
//
// release, run after the tests and before the check, frees what lives
// until the process exits by design but may have grown while the tests
// ran (the process loop sets up a ring when a P first submits).
func Run(m M, release ...func()) int {
	startNetpoller()
	before := takeSnapshot()
	code := m.Run()
	for _, f := range release {
		f()
	}
	if code != 0 || fuzzing() {
		return code
	}
	if err := before.check(leakGrace); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

// leakGrace is how long Run waits for goroutines and descriptors to go
// away: far above a worker's exit or a GC cycle under -race on a loaded
// machine, short enough not to matter when a leak is real.
const leakGrace = 5 * time.Second

// modulePath is what a goroutine's stack must mention to count as ours. It
// covers the root package, its external test package (uring_test) and every
// package below it.
const modulePath = "github.com/uringfs/uring"

// startNetpoller makes the runtime open its netpoller (an epoll fd and a
// wake-up fd on Linux), which it does on the first pollable file and keeps
// for the life of the process. Doing it before the baseline is taken keeps
// the descriptor check exact, with no tolerance.
func startNetpoller() {
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
}

// snapshot is what was running and open at one point.
type snapshot struct {
	goroutines map[string]bool   // IDs of goroutines running module code
	fds        map[string]string // from OpenFds; nil when unknown
}

func takeSnapshot() snapshot {
	s := snapshot{goroutines: map[string]bool{}}
	for _, g := range moduleGoroutines() {
		s.goroutines[goroutineID(g)] = true
	}
	s.fds = OpenFds()
	return s
}

// check waits up to grace for the goroutines and descriptors that are not
// in s to go away and returns an error describing those that did not.
func (s snapshot) check(grace time.Duration) error {
	var gs, fds []string
	start := time.Now()
	for deadline := start.Add(grace); ; {
		gs, fds = s.newGoroutines(), s.newFds()
		if len(gs) == 0 && len(fds) == 0 {
			if d := time.Since(start); d > time.Second {
				fmt.Fprintf(os.Stderr, "leak check: clean after %v\n", d.Round(time.Millisecond))
			}
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		runtime.GC() // lets cleanups close files nothing refers to
		time.Sleep(20 * time.Millisecond)
	}
	var b strings.Builder
	if len(gs) > 0 {
		fmt.Fprintf(&b, "leak check: %d goroutine(s) running code of this module started by the tests:\n\n%s\n",
			len(gs), strings.Join(gs, "\n\n"))
	}
	if len(fds) > 0 {
		fmt.Fprintf(&b, "leak check: %d file descriptor(s) opened by the tests and not closed:\n  %s\n",
			len(fds), strings.Join(fds, "\n  "))
	}
	return errors.New(strings.TrimSuffix(b.String(), "\n"))
}

func (s snapshot) newGoroutines() []string {
	var out []string
	for _, g := range moduleGoroutines() {
		if !s.goroutines[goroutineID(g)] {
			out = append(out, g)
		}
	}
	return out
}

// newFds lists the descriptors open now that were not open in s, or that
// now refer to something else, as "N -> target".
func (s snapshot) newFds() []string {
	if s.fds == nil {
		return nil
	}
	now := OpenFds()
	if now == nil {
		return nil
	}
	var out []string
	for fd, target := range now {
		if old, ok := s.fds[fd]; !ok || old != target {
			out = append(out, fd+" -> "+target)
		}
	}
	sort.Strings(out)
	return out
}

// moduleGoroutines returns the stacks of the goroutines whose stack
// mentions this module, the caller's included.
func moduleGoroutines() []string {
	var out []string
	for _, g := range strings.Split(string(allStacks()), "\n\n") {
		if strings.Contains(g, modulePath) {
			out = append(out, g)
		}
	}
	return out
}

// goroutineID is the number in a stack's "goroutine N [state]:" header.
// Goroutine IDs are never reused within a process.
func goroutineID(stack string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(stack, "goroutine "), " ")
	return id
}

// fuzzing reports whether this process runs the fuzzing engine, as its
// coordinator (-test.fuzz) or as one of its workers (-test.fuzzworker).
// The flags are parsed by then: m.Run parses them.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}
