package sched

import (
	"context"
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

// PreadCached is Pread for a buffered (not O_DIRECT) file: a page-cache hit is
// served by preadv2(RWF_NOWAIT) on the caller, anything else by the ring. A
// partly cached range returns the cached part (a short count, as Pread may).
func (l *Loop) PreadCached(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if len(p) > MaxRW {
		p = p[:MaxRW]
	}
	if l.backend == BackendURing && len(p) > 0 && !faultsActive() {
		n, errno := rwNowait(unix.SYS_PREADV2, fd, p, off)
		if errno == 0 && n > 0 {
			l.counters.nowaitHits.Add(1)
			return n, nil
		}
		if errno == 0 && n == 0 {
			// End of file is an answer too, but 0 may also mean "nothing
			// cached at this offset" on some file systems: let the ring decide.
			l.counters.nowaitMisses.Add(1)
		} else if errno != unix.EAGAIN && errno != unix.EOPNOTSUPP && errno != unix.EINTR {
			// A real error (EBADF, EISDIR, EINVAL, ...) is the same whichever
			// way the read is made.
			l.counters.nowaitHits.Add(1)
			return 0, errno
		} else {
			l.counters.nowaitMisses.Add(1)
		}
	}
	return l.Pread(ctx, fd, p, off)
}

// PwriteCached is Pwrite for a buffered file: pwritev2(RWF_NOWAIT) first,
// then, when the kernel says the write would block, the path PwriteBuffered
// takes. It reports unsupported=true when the file system refuses RWF_NOWAIT
// writes, so the caller can stop trying them on this file.
func (l *Loop) PwriteCached(ctx context.Context, fd int, p []byte, off int64) (n int, unsupported bool, err error) {
	if len(p) > MaxRW {
		p = p[:MaxRW]
	}
	if l.backend == BackendURing && len(p) > 0 && !faultsActive() {
		n, errno := rwNowait(unix.SYS_PWRITEV2, fd, p, off)
		switch {
		case errno == 0:
			l.counters.nowaitHits.Add(1)
			return n, false, nil
		case errno == unix.EOPNOTSUPP:
			unsupported = true
			l.counters.nowaitMisses.Add(1)
		case errno == unix.EAGAIN || errno == unix.EINTR:
			l.counters.nowaitMisses.Add(1)
		default:
			l.counters.nowaitHits.Add(1)
			return 0, false, errno
		}
	}
	n, err = l.PwriteBuffered(ctx, fd, p, off)
	return n, unsupported, err
}

// PwriteBuffered writes to a buffered file without the RWF_NOWAIT attempt.
// A buffered write that would block waits for block allocation or dirty-page
// throttling, not for a device transfer, and the kernel runs ring writes to
// one file one at a time on a worker thread, so the ring buys no parallelism
// and costs a hand-off: measured on sequential 1 MiB appends, every write
// parked and ran at 0.88x os. So, like worker-only metadata, the write runs as
// a syscall on the caller while fewer than directLimit such calls are in
// progress (and ctx cannot be cancelled, since a syscall cannot be), and on
// the ring otherwise.
func (l *Loop) PwriteBuffered(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if len(p) > MaxRW {
		p = p[:MaxRW]
	}
	if l.backend == BackendURing && ctx.Done() == nil && !faultsActive() {
		if l.directMeta.Add(1) <= l.directLimit {
			var n int
			var err error
			for {
				if off == -1 {
					n, err = unix.Write(fd, p)
				} else {
					n, err = unix.Pwrite(fd, p, off)
				}
				if err != unix.EINTR {
					break
				}
			}
			l.directMeta.Add(-1)
			l.counters.direct.Add(1)
			if err != nil {
				return 0, err
			}
			return n, nil
		}
		l.directMeta.Add(-1)
	}
	return l.Pwrite(ctx, fd, p, off)
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
