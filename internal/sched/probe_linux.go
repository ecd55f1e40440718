package sched

// Probes of the kernel features the loop's paths depend on. Each answer is
// an error: nil when the feature is there, else a *FeatureError that names
// it and carries what the kernel said, so that a path that steps aside (or
// a loop that falls back to syscalls) can say why. Process-wide features
// are probed once; ring features are read from each ring's setup.

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// FeatureError reports a kernel feature that the running kernel lacks or
// refuses.
type FeatureError struct {
	Feature string // the feature, as the kernel's headers name it
	Err     error  // what the probe found: an errno, or ring.ErrNotSupported
}

func (e *FeatureError) Error() string {
	return "uring: kernel lacks " + e.Feature + ": " + e.Err.Error()
}

func (e *FeatureError) Unwrap() error { return e.Err }

// ringFeatures checks what every ring of the loop needs: completions never
// dropped (IORING_FEAT_NODROP, Linux 5.5), so that the slot count bounds
// the CQ, and reads and writes at offset -1 using the file position
// (IORING_FEAT_RW_CUR_POS, Linux 5.6), which Read and Write rely on.
func ringFeatures(r *ring.Ring) error {
	if r.Features()&ring.FeatNoDrop == 0 {
		return &FeatureError{"IORING_FEAT_NODROP", ring.ErrNotSupported}
	}
	if r.Features()&ring.FeatRWCurPos == 0 {
		return &FeatureError{"IORING_FEAT_RW_CUR_POS", ring.ErrNotSupported}
	}
	return nil
}

// directFiles is DirectFiles' answer: the io_uring backend, a kernel
// whose probe lists OPENAT, READ and CLOSE and which looks up the file of
// a linked request only when the request runs (IORING_FEAT_LINKED_FILE,
// Linux 5.17), so that a READ can use the slot the OPENAT before it in the
// chain fills.
func (l *Loop) directFiles() error {
	if l.backend != BackendURing || len(l.shards) == 0 {
		return &FeatureError{"io_uring", l.FallbackReason()}
	}
	if l.first.r.Features()&ring.FeatLinkedFile == 0 {
		return &FeatureError{"IORING_FEAT_LINKED_FILE", ring.ErrNotSupported}
	}
	for _, c := range [...]ring.Opcode{ring.OpOpenat, ring.OpRead, ring.OpClose} {
		if !l.probe.Supported(c) {
			return &FeatureError{"IORING_OP_" + c.String(), ring.ErrNotSupported}
		}
	}
	return nil
}

// DirectFiles reports whether ChainDirect and direct chains of a Flight
// can run here (see directFiles).
func (l *Loop) DirectFiles() bool { return l.directFiles() == nil }

// CanReadChain reports whether ReadChains can run: direct descriptors
// (DirectFiles) and a kernel that knows FADVISE.
func (l *Loop) CanReadChain() bool {
	return l.DirectFiles() && l.probe.Supported(ring.OpFadvise)
}

// resolveCached is openat2's RESOLVE_CACHED (Linux 5.12), which x/sys does
// not name: the open fails with EAGAIN instead of waiting for a lookup that
// needs I/O.
const resolveCached = 0x20

// resolveCachedErr says whether this kernel takes openat2 with
// RESOLVE_CACHED.
var resolveCachedErr = sync.OnceValue(func() error {
	fd, errno := openat2Cached(unix.AT_FDCWD, "/", unix.O_RDONLY|unix.O_CLOEXEC)
	switch errno {
	case 0:
		unix.Close(fd)
		return nil
	case unix.EAGAIN:
		return nil // "/" not in the cache: the flag itself was taken
	}
	return &FeatureError{"openat2 RESOLVE_CACHED", errno}
})

// CachedOpens reports whether callers may try OpenCached before the ring:
// CallerFirst, on a kernel that has RESOLVE_CACHED.
func (l *Loop) CachedOpens() bool { return l.CallerFirst() && resolveCachedErr() == nil }

// resolveBeneathErr says whether openat2 with RESOLVE_BENEATH works for
// this process: ENOSYS before Linux 5.6, EPERM behind a seccomp filter
// that predates openat2. Any other failure is not about openat2 itself.
var resolveBeneathErr = sync.OnceValue(func() error {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Openat2(unix.AT_FDCWD, ".", &how)
		return err
	})
	switch err {
	case nil:
		unix.Close(fd)
		return nil
	case unix.ENOSYS, unix.EPERM:
		return &FeatureError{"openat2 RESOLVE_BENEATH", err}
	}
	return nil
})

// BeneathOpens reports whether Openat2 can confine lookups beneath a
// directory (RESOLVE_BENEATH) here, or why not.
func (l *Loop) BeneathOpens() error { return resolveBeneathErr() }
