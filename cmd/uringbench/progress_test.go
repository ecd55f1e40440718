package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// progressArgs runs six short phases: two in this process per engine on
// os and uring, and the syscall engine's two in child processes, whose
// progress reaches the parent through a pipe.
func progressArgs(dir string, extra ...string) []string {
	return tiny(dir, append([]string{"-workloads", "randread-hot", "-isolate=false"}, extra...)...)
}

const progressPhases = 6 // progressArgs: 2 goroutine counts x 3 engines

// runToFile runs the tool with stderr on a regular file, which has a file
// descriptor but is no terminal, as in a CI log or `2>&1 | cat`.
func runToFile(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	code := run(args, &out, f)
	errOut, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("run %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errOut)
	}
	return out.String(), string(errOut)
}

// TestProgressNotTerminal: on a stderr that is not a terminal no carriage
// return is written, and every phase, once finished, gets one line.
func TestProgressNotTerminal(t *testing.T) {
	out, errOut := runToFile(t, progressArgs(t.TempDir())...)
	if strings.Contains(errOut, "\r") || strings.Contains(out, "\r") {
		t.Errorf("carriage return written to a file:\nstdout %q\nstderr %q", out, errOut)
	}
	lines := strings.Split(errOut, "\n")
	for i := 1; i <= progressPhases; i++ {
		prefix := fmt.Sprintf("[%d/%d] round 1/1 randread-hot g=", i, progressPhases)
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				n++
				if !strings.Contains(l, " ops/s over ") {
					t.Errorf("phase line %q does not give the phase's rate", l)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d lines for phase %d, want 1:\n%s", n, i, errOut)
		}
	}
	if !strings.Contains(errOut, "prepared ") {
		t.Errorf("no line for the prepared test file:\n%s", errOut)
	}
	if len(rowsOf(out)) != progressPhases {
		t.Errorf("want %d table rows:\n%s", progressPhases, out)
	}
}

// TestProgressQuiet: -q writes no progress at all, and the results still
// come out.
func TestProgressQuiet(t *testing.T) {
	out, errOut := runToFile(t, progressArgs(t.TempDir(), "-q")...)
	if errOut != "" {
		t.Errorf("-q: stderr %q, want nothing", errOut)
	}
	if len(rowsOf(out)) != progressPhases {
		t.Errorf("-q: want %d table rows:\n%s", progressPhases, out)
	}
}

// TestProgressLive: on a terminal, updates rewrite one line in place and
// clear leaves the cursor at the start of a blank line.
func TestProgressLive(t *testing.T) {
	var w bytes.Buffer
	p := &progress{w: &w, mode: progressLive}
	p.show("phase %d: %s", 1, "running")
	p.done("phase 1: done")
	p.clear()
	want := "\rphase 1: running" + "\rphase 1: done   " + "\r" + strings.Repeat(" ", len("phase 1: done")) + "\r"
	if w.String() != want {
		t.Errorf("live progress wrote %q, want %q", w.String(), want)
	}
}

// TestProgressLinesMode: off a terminal, show writes nothing, done writes
// a line, and a multi-line message (a child's error output) stays one line.
func TestProgressLinesMode(t *testing.T) {
	var w bytes.Buffer
	p := newProgress(&w, false)
	if p.mode != progressLines {
		t.Fatalf("a bytes.Buffer is taken for a terminal")
	}
	p.show("running")
	p.done("phase: FAILED: %s", "child: exit 1\r\nfirst\nsecond\rthird")
	p.clear()
	if want := "phase: FAILED: child: exit 1; first; second third\n"; w.String() != want {
		t.Errorf("lines mode wrote %q, want %q", w.String(), want)
	}
}
