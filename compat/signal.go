package compat

import "os"

// Signal represents an operating system signal, os's own type, so that
// signal.Notify(c, os.Interrupt) and a chan os.Signal compile unchanged.
type Signal = os.Signal

// The signals present on all systems, os's own values: signal.Notify,
// signal.Ignore and (*os.Process).Signal accept them.
var (
	Interrupt Signal = os.Interrupt // interrupt (SIGINT on Unix)
	Kill      Signal = os.Kill      // kill (SIGKILL on Unix)
)
