//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd && !windows

package main

// isTerminalFd reports false: on this system the tool does not ask, and
// progress goes out as one line per finished step, which a terminal shows
// well enough.
func isTerminalFd(uintptr) bool { return false }
