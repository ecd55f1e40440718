// This file is the Root's fallback for kernels without openat2 (before
// Linux 5.6, or behind a seccomp filter that refuses it): such a Root wraps
// an os.Root, and the files it opens are handed to the loop.

package uringfs

import (
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/uringfs/uring/internal/sched"
)

// rootForceOS makes OpenRoot take the os.Root fallback; tests set it.
var rootForceOS atomic.Bool

// openat2Works reports whether the root can confine its lookups with
// openat2's RESOLVE_BENEATH (the loop probes it once).
func (r *Root) openat2Works() bool {
	return !rootForceOS.Load() && r.r.loop.BeneathOpens() == nil
}

func newOSRoot(l *sched.Loop, osr *os.Root) *Root {
	return &Root{&root{name: osr.Name(), loop: l, osr: osr, fd: -1}}
}

// adopt turns a file os.Root opened into a *File on the loop.
func (r *Root) adopt(f *os.File, err error, flag int) (*File, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fd, err := dupOSFile(f)
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: f.Name(), Err: err}
	}
	// os's open made the status flags (a FIFO's O_NONBLOCK, for one).
	nf := newFile(fd, f.Name(), r.r.loop, statusFlags(fd))
	nf.inRoot = true
	return nf, nil
}
