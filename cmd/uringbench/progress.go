package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// progressMode is how the tool reports its progress on stderr.
type progressMode int

const (
	// progressLines writes one line per finished step (a test file
	// prepared, a phase measured) and nothing in between, so that a log or
	// a pipe keeps a readable record.
	progressLines progressMode = iota
	// progressLive keeps one status line up to date, rewriting it in place
	// with a carriage return; only a terminal shows that as intended.
	progressLive
	// progressQuiet reports nothing (-q).
	progressQuiet
)

// progress reports the run's progress on stderr in one of the modes.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	mode progressMode
	last int // progressLive: length of the line on screen, to blank what a shorter one leaves
}

// newProgress reports to w: live when w is a terminal, a line per finished
// step otherwise, nothing when quiet.
func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, mode: progressLines}
	switch {
	case quiet:
		p.mode = progressQuiet
	case isTerminal(w):
		p.mode = progressLive
	}
	return p
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && isTerminalFd(f.Fd())
}

// show replaces the live status line. It writes nothing in the other
// modes: a step in progress is not worth a line of a log.
func (p *progress) show(format string, args ...any) {
	if p.mode != progressLive {
		return
	}
	s := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setLocked(s)
}

// done reports a finished step: on a terminal it is the status line until
// the next update, otherwise a line of its own.
func (p *progress) done(format string, args ...any) {
	s := oneLine.Replace(fmt.Sprintf(format, args...))
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.mode {
	case progressLive:
		p.setLocked(s)
	case progressLines:
		fmt.Fprintln(p.w, s)
	}
}

// oneLine keeps a message (such as a child's error output) on one line.
var oneLine = strings.NewReplacer("\r\n", "; ", "\n", "; ", "\r", " ")

func (p *progress) setLocked(s string) {
	n := utf8.RuneCountInString(s)
	pad := ""
	if n < p.last {
		pad = strings.Repeat(" ", p.last-n)
	}
	fmt.Fprint(p.w, "\r"+s+pad)
	p.last = n
}

// clear removes the live status line so that normal output starts on a
// clean line.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.last)+"\r")
		p.last = 0
	}
}
