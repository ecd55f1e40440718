//go:build linux

package uringfs_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// TestMain fails the run when the tests leave a goroutine of this module
// running or a file descriptor open. The baseline is taken after the
// process-wide loop has started, so its ring workers and its ring and
// eventfd descriptors, which live until exit by design, are part of it.
func TestMain(m *testing.M) {
	flag.Parse()
	backend, err := uringfs.Backend()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uringfs: no event loop:", err)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "uringfs tests on the %s backend (fallback reason: %v)\n", backend, uringfs.FallbackReason())
	}
	// The runtime opens its netpoller on the first pollable file and keeps
	// it: a pipe opened and closed here puts it into the baseline.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	fdsBefore := openFds()
	gsBefore := map[string]bool{}
	for _, g := range moduleGoroutines() {
		gsBefore[goroutineID(g)] = true
	}
	code := m.Run()
	if code == 0 && !fuzzing() {
		if err := checkLeaks(fdsBefore, gsBefore); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// fuzzing reports whether this process runs the fuzzing engine (coordinator
// or worker), whose own pipes and shared memory come and go outside the
// tests.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// checkLeaks gives goroutines on their way out and cleanups of unreachable
// Files a few seconds, then reports what is left.
func checkLeaks(fdsBefore map[string]string, gsBefore map[string]bool) error {
	var gs, fds []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		gs = gs[:0]
		for _, g := range moduleGoroutines() {
			if !gsBefore[goroutineID(g)] {
				gs = append(gs, g)
			}
		}
		fds = newFds(fdsBefore)
		if len(gs) == 0 && len(fds) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		runtime.GC()
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
	return errors.New(b.String())
}

// moduleGoroutines returns the stacks of goroutines running code of this
// module, except the one running TestMain.
func moduleGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "github.com/uringfs/uring") || strings.Contains(g, "uringfs_test.TestMain") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// goroutineID is the number in a stack's "goroutine N [state]:" header.
func goroutineID(stack string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(stack, "goroutine "), " ")
	return id
}

// openFds maps each open descriptor number to what it refers to.
func openFds() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the descriptor ReadDir itself used, closed by now
		}
		m[e.Name()] = target
	}
	return m
}

func newFds(before map[string]string) []string {
	var out []string
	for fd, target := range openFds() {
		if old, ok := before[fd]; !ok || old != target {
			out = append(out, fd+" -> "+target)
		}
	}
	sort.Strings(out)
	return out
}

// hangDeadline bounds each test that could deadlock (testkit.Deadline): far
// above what any of them takes under -race or qemu, far below the package
// timeout, so a hang fails with its own name and stacks.
const hangDeadline = 3 * time.Minute
