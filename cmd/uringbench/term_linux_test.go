package main

import (
	"os"
	"testing"
)

// TestIsTerminal: a pseudo-terminal is a terminal; a pipe, a regular file
// and /dev/null (a character device, but no terminal) are not.
func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, nt := range []*os.File{w, f, null} {
		if isTerminal(nt) {
			t.Errorf("%s taken for a terminal", nt.Name())
		}
		if p := newProgress(nt, false); p.mode != progressLines {
			t.Errorf("%s: progress mode %v, want a line per step", nt.Name(), p.mode)
		}
	}
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer pty.Close()
	if !isTerminal(pty) {
		t.Errorf("%s not taken for a terminal", pty.Name())
	}
	if p := newProgress(pty, false); p.mode != progressLive {
		t.Errorf("terminal: progress mode %v, want live", p.mode)
	}
	if p := newProgress(pty, true); p.mode != progressQuiet {
		t.Errorf("terminal with -q: progress mode %v, want quiet", p.mode)
	}
}
