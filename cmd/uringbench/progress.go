package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// progress keeps one status line on stderr up to date, rewriting it in
// place with a carriage return.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	last int // length of the line on screen, to blank what a shorter one leaves
}

func (p *progress) show(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	n := utf8.RuneCountInString(s)
	pad := ""
	if n < p.last {
		pad = strings.Repeat(" ", p.last-n)
	}
	fmt.Fprint(p.w, "\r"+s+pad)
	p.last = n
}

// clear removes the status line so normal output starts on a clean line.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.last)+"\r")
		p.last = 0
	}
}
