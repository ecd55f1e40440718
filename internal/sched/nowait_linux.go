package sched

import (
	"context"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A read served from the page cache costs one pread(2) and nothing more,
// which no ring round trip can beat: the kernel work is the same and the ring
// adds its own. So buffered reads and writes first try preadv2/pwritev2 with
// RWF_NOWAIT on the calling goroutine. That never blocks: when the data is not
// cached (or the write would wait for writeback or block allocation) the
// kernel says EAGAIN at once and the op goes to the ring, where waiting costs
// no thread. O_DIRECT files skip this: their reads always go to the device.
// Opens whose lookup is in the dentry cache are made the same way, with
// openat2 and RESOLVE_CACHED (OpenCached).

// CacheHint remembers whether the recent reads of one open file all came
// from the page cache, or all missed it. preadv2 is dearer than pread(2)
// even when it hits (its vector interface is a measurable share of a
// cached 4 KiB read), so a regular file whose last cachedAfter reads were all hits is read with
// plain pread, exactly as os reads it, and one read in cachedProbeEvery
// still goes through RWF_NOWAIT to notice the pages leaving the cache: a
// miss puts the file back on RWF_NOWAIT first. The cost of being wrong is
// bounded and is os's own: until the next probe, a read of an evicted page
// blocks its thread as os.File's would.
//
// The other way round, a file whose last coldAfter reads all missed (a file
// larger than the cache, read at random) goes to the ring at once: the
// RWF_NOWAIT attempt would be a system call spent on a refusal, and the
// ring makes the same non-blocking try itself before it waits. One read in
// coldProbeEvery still tries RWF_NOWAIT, and a hit puts the file back on it.
//
// The zero value is ready to use; a File keeps one per open file.
type CacheHint struct {
	// hits counts consecutive RWF_NOWAIT hits up to cachedAfter; a file
	// that is not a regular file (a pipe that has data now can be empty
	// the next time) stops one short of it.
	hits atomic.Int32
	// misses counts consecutive RWF_NOWAIT misses up to coldAfter.
	misses atomic.Int32
	// kind is kindUnknown until one fstat tells whether the file is a
	// regular file (isRegular).
	kind atomic.Int32
}

const (
	kindUnknown = iota
	kindRegular
	kindOther
)

// isRegular reports whether fd is a regular file, asking the kernel once
// per hint (each time without one).
func (h *CacheHint) isRegular(fd int) bool {
	if h != nil {
		switch h.kind.Load() {
		case kindRegular:
			return true
		case kindOther:
			return false
		}
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false // not known: as for a pipe, no read is made to complete it
	}
	regular := st.Mode&unix.S_IFMT == unix.S_IFREG
	if h != nil {
		k := int32(kindOther)
		if regular {
			k = kindRegular
		}
		h.kind.Store(k)
	}
	return regular
}

const (
	cachedAfter      = 64
	cachedProbeEvery = 32
	coldAfter        = 8
	coldProbeEvery   = 16
)

// cold reports whether the file's reads have lately all missed the cache.
func (h *CacheHint) cold() bool { return h != nil && h.misses.Load() >= coldAfter }

// cached reports whether the file's reads have lately all been hits.
func (h *CacheHint) cached() bool { return h != nil && h.hits.Load() >= cachedAfter }

// hit records a read served by RWF_NOWAIT. Once the file qualifies, one
// fstat tells whether it is a regular file.
func (h *CacheHint) hit(fd int) {
	if h == nil {
		return
	}
	if h.misses.Load() != 0 {
		h.misses.Store(0)
	}
	n := h.hits.Load()
	if n >= cachedAfter || n+1 == cachedAfter && !h.isRegular(fd) {
		return
	}
	h.hits.Store(n + 1)
}

// miss records a read that RWF_NOWAIT turned away.
func (h *CacheHint) miss() {
	if h == nil {
		return
	}
	if h.hits.Load() > 0 {
		h.hits.Store(0)
	}
	if m := h.misses.Load(); m < coldAfter {
		h.misses.Store(m + 1)
	}
}

// PreadCached is Pread for a buffered (not O_DIRECT) file: a page-cache hit is
// served by preadv2(RWF_NOWAIT) on the caller, anything else by the ring. A
// regular file's range that is only partly cached is read in full, the
// rest through the ring, as one read(2) would read it: RWF_NOWAIT returns
// the cached part alone. On other files a short count is returned as the
// kernel gives it.
// h, which may be nil, is the file's CacheHint; a file it calls cached is
// read with pread(2) while ctx cannot be cancelled (a blocking syscall could
// not honour it).
func (l *Loop) PreadCached(ctx context.Context, fd int, p []byte, off int64, h *CacheHint) (int, error) {
	p = clampRW(p)
	if l.backend == BackendURing && len(p) > 0 && !faultsActive() {
		if ctx.Done() == nil && h.cached() {
			// The P's tick picks the probes: no shared write, no random
			// number, and every file on the cached path is probed about
			// once in cachedProbeEvery of its reads.
			if l.ctr().probeTick.Add(1)%cachedProbeEvery != 0 {
				return preadPlain(fd, p, off)
			}
		} else if h.cold() && l.ctr().coldTick.Add(1)%coldProbeEvery != 0 {
			return l.pread(ctx, fd, p, off)
		}
		n, errno := rwNowait(unix.SYS_PREADV2, fd, p, off)
		if errno == 0 {
			l.ctr().nowaitHits.Add(1)
			if n > 0 {
				h.hit(fd)
			}
			if n > 0 && n < len(p) && h.isRegular(fd) {
				return l.readRest(ctx, fd, p, off, n), nil
			}
			// 0 is the end of the file: RWF_NOWAIT turns a read that would
			// wait into EAGAIN, never into a count (preadv2(2)). A reader
			// finds the end on every file it reads to the end (io.ReadAll,
			// bytes.Buffer.ReadFrom), so the ring's round trip here would be
			// paid once per file.
			return n, nil
		}
		if errno != unix.EAGAIN && errno != unix.EOPNOTSUPP && errno != unix.EINTR {
			// A real error (EBADF, EISDIR, EINVAL, ...) is the same whichever
			// way the read is made.
			l.ctr().nowaitHits.Add(1)
			return 0, errno
		}
		l.ctr().nowaitMisses.Add(1)
		h.miss()
		if hook := missHook.Load(); hook != nil {
			(*hook)(fd)
		}
	}
	return l.pread(ctx, fd, p, off)
}

// readRest completes a read of a regular file that RWF_NOWAIT cut short
// after n bytes: the cut is either the end of the file or a page not in the
// cache. Another RWF_NOWAIT read tells them apart (0 is the end, EAGAIN a
// missing page), and the ring reads what is not cached. An error after n
// bytes ends the read with what it has, as read(2) does; the next read
// reports it.
func (l *Loop) readRest(ctx context.Context, fd int, p []byte, off int64, n int) int {
	at := func(n int) int64 {
		if off == -1 {
			return -1 // the file position has moved past what was read
		}
		return off + int64(n)
	}
	for n < len(p) {
		m, errno := rwNowait(unix.SYS_PREADV2, fd, p[n:], at(n))
		switch {
		case errno == 0 && m == 0:
			return n
		case errno == 0:
			l.ctr().nowaitHits.Add(1)
			n += m
			continue
		case errno != unix.EAGAIN && errno != unix.EOPNOTSUPP && errno != unix.EINTR:
			return n
		}
		l.ctr().nowaitMisses.Add(1)
		m, err := l.pread(ctx, fd, p[n:], at(n))
		if err != nil || m == 0 {
			return n
		}
		n += m
	}
	return n
}

// missHook, when set, runs on the caller after a page-cache miss of
// PreadCached, before the read goes to the ring: it lets a test hold a read
// in the window between taking its file reference and reaching the ring.
var missHook atomic.Pointer[func(fd int)]

// HookPreadMiss installs fn as the miss hook for every loop and returns a
// function that removes it. Tests only.
func HookPreadMiss(fn func(fd int)) (restore func()) {
	old := missHook.Swap(&fn)
	return func() { missHook.Store(old) }
}

// preadPlain is pread(2), or read(2) at the file offset when off is -1.
func preadPlain(fd int, p []byte, off int64) (n int, err error) {
	err = retryEINTR(func() (err error) {
		if off == -1 {
			n, err = unix.Read(fd, p)
		} else {
			n, err = unix.Pread(fd, p, off)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PwriteCached is Pwrite for a buffered file: pwritev2(RWF_NOWAIT) first,
// then, when the kernel says the write would block, the path PwriteBuffered
// takes. It reports unsupported=true when the file system refuses RWF_NOWAIT
// writes, so the caller can stop trying them on this file.
func (l *Loop) PwriteCached(ctx context.Context, fd int, p []byte, off int64) (n int, unsupported bool, err error) {
	p = clampRW(p)
	if l.backend == BackendURing && len(p) > 0 && !faultsActive() {
		n, errno := rwNowait(unix.SYS_PWRITEV2, fd, p, off)
		switch {
		case errno == 0:
			l.ctr().nowaitHits.Add(1)
			return n, false, nil
		case errno == unix.EOPNOTSUPP:
			unsupported = true
			l.ctr().nowaitMisses.Add(1)
		case errno == unix.EAGAIN || errno == unix.EINTR:
			l.ctr().nowaitMisses.Add(1)
		default:
			l.ctr().nowaitHits.Add(1)
			return 0, false, errno
		}
	}
	n, err = l.pwriteBuffered(ctx, fd, p, off)
	return n, unsupported, err
}

// PwriteBuffered writes to a buffered file without the RWF_NOWAIT attempt.
// A buffered write that would block waits for block allocation or dirty-page
// throttling, not for a device transfer, and the kernel runs ring writes to
// one file one at a time on a worker thread, so the ring buys no parallelism
// and costs a hand-off and a park per write, which makes sequential
// appends slower than os's. So, like worker-only metadata, the write runs as
// a syscall on the caller while fewer than directLimit such calls are in
// progress (and ctx cannot be cancelled, since a syscall cannot be), and on
// the ring otherwise.
func (l *Loop) PwriteBuffered(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	return l.pwriteBuffered(ctx, fd, clampRW(p), off)
}

func (l *Loop) pwriteBuffered(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if l.backend == BackendURing && ctx.Done() == nil && !faultsActive() {
		if l.directMeta.Add(1) <= l.directLimit {
			var n int
			err := retryEINTR(func() (err error) {
				if off == -1 {
					n, err = unix.Write(fd, p)
				} else {
					n, err = unix.Pwrite(fd, p, off)
				}
				return err
			})
			l.directMeta.Add(-1)
			l.ctr().onCaller.Add(1)
			if err != nil {
				return 0, err
			}
			return n, nil
		}
		l.directMeta.Add(-1)
	}
	return l.pwrite(ctx, fd, p, off)
}

// CallerFirst reports whether callers may try non-blocking system calls of
// their own (PreadNowait, OpenCached) before the ring, as the loop's
// buffered reads do: on the io_uring backend, unless the tests' fault
// injection is on, whose faults only the ring can carry.
func (l *Loop) CallerFirst() bool { return l.backend == BackendURing && !faultsActive() }

// PreadNowait is preadv2(RWF_NOWAIT) of p at off (-1: at the file
// position) on the caller: the bytes the page cache holds there, or EAGAIN
// (EOPNOTSUPP where the file cannot tell) at once instead of waiting for
// the device. It is a plain system call whatever the backend, counted in
// NowaitHits when it answers and NowaitMisses when it refuses; the caller
// reads what it refuses through the loop.
func (l *Loop) PreadNowait(fd int, p []byte, off int64) (int, syscall.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	n, errno := rwNowait(unix.SYS_PREADV2, fd, clampRW(p), off)
	switch errno {
	case unix.EAGAIN, unix.EOPNOTSUPP, unix.EINTR:
		l.ctr().nowaitMisses.Add(1)
	default:
		l.ctr().nowaitHits.Add(1)
	}
	return n, errno
}

// OpenCached is openat2(dirfd, path, flags) with RESOLVE_CACHED on the
// caller: the open when every step of the lookup is in the dentry cache, or
// EAGAIN at once where the lookup would wait for I/O (also on a kernel
// without RESOLVE_CACHED), which the caller then sends to the ring. flags
// must not create a file (there is no mode); EINVAL says openat2 refuses a
// flag that openat would take or ignore. Like open(2), opening a FIFO that
// has no writer waits on the caller for one.
func (l *Loop) OpenCached(dirfd int, path string, flags int) (int, syscall.Errno) {
	if resolveCachedErr() != nil {
		return -1, unix.EAGAIN
	}
	return openat2Cached(dirfd, path, flags)
}

func openat2Cached(dirfd int, path string, flags int) (int, syscall.Errno) {
	// Most names fit a buffer on the stack, which spares an allocation per
	// call; the kernel has read the name when the call returns.
	var buf [256]byte
	var p *byte
	if len(path) < len(buf) && strings.IndexByte(path, 0) < 0 {
		copy(buf[:], path)
		p = &buf[0]
	} else {
		var err error
		if p, err = unix.BytePtrFromString(path); err != nil {
			return -1, unix.EINVAL // a NUL in the name; the ring's path says so as os does
		}
	}
	how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveCached}
	fd := -1
	// A FIFO's open waits for a writer; a signal cuts it short.
	err := retryEINTR(func() error {
		r, _, errno := unix.Syscall6(unix.SYS_OPENAT2, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if errno != 0 {
			return errno
		}
		fd = int(r)
		return nil
	})
	if err != nil {
		return -1, err.(syscall.Errno)
	}
	return fd, 0
}

// rwNowait issues preadv2/pwritev2 with one iovec and RWF_NOWAIT. The iovec
// lives on this frame; the kernel is done with it when the syscall returns.
func rwNowait(trap uintptr, fd int, p []byte, off int64) (int, unix.Errno) {
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	// preadv2 takes the offset split in two longs; on 64-bit the high half is
	// ignored.
	r, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1,
		uintptr(off), uintptr(uint64(off)>>32), unix.RWF_NOWAIT)
	if errno != 0 {
		return 0, errno
	}
	return int(r), 0
}
