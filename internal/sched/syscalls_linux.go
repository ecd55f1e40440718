package sched

// Operations run as system calls instead of through a ring: on the syscall
// backend, for opcodes the kernel's probe lacks, and for the metadata ops
// that run faster on the caller than through an io-wq worker. Chains keep
// io_uring's link semantics here too.

import (
	"context"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// metaOnCaller is how the typed calls of the worker-only ops (Statx,
// Renameat, Unlinkat, Mkdirat, Symlinkat, Linkat) run on the caller. The
// kernel never completes those during submission: it hands them straight
// to an io-wq worker thread, and through the ring they cost that hand-off
// plus a park and a wake-up, several times the work itself, which with
// warm dentry and inode caches is a short system call. (fsync, fallocate
// and ftruncate are not among them: they wait for the device, and a Go
// thread blocked that long is worth more than the hand-off.) metaOnCaller
// makes call, the system call the op stands for, on the syscall backend
// and, on io_uring, unless directLimit such calls are already in progress:
// under a burst the rest go to the ring, so that a storm of metadata calls
// on a cold cache cannot pin more OS threads than there are Ps. Made
// without an Op, the call costs about what os's does: no pooled Op, no
// NUL-terminated copy of its names, no trip through Chain. It reports
// false, with nothing done, when the op is for the ring: over the limit,
// or an opcode the ring lacks (Do then counts the fallback).
func (l *Loop) metaOnCaller(ctx context.Context, code ring.Opcode, call func() error) (ran bool, err error) {
	uring := l.backend == BackendURing
	if uring && !l.probe.Supported(code) {
		return false, nil
	}
	if err := l.admit(ctx); err != nil {
		return true, err
	}
	if !uring {
		l.ctr().ops.Add(1)
		err = retryEINTR(call)
		l.leave()
		return true, err
	}
	if l.directMeta.Add(1) > l.directLimit {
		l.directMeta.Add(-1)
		l.leave()
		return false, nil
	}
	l.ctr().opsOnCaller.Add(1)
	err = retryEINTR(call)
	l.directMeta.Add(-1)
	l.leave()
	return true, err
}

// closeOnCaller is close(2) of fd on the caller, on either backend, as os
// closes. Through the ring a close costs an io_uring_enter and an SQE on top
// of the same kernel work, which the kernel does during submission anyway
// unless the file has a flush method (NFS, FUSE): there close(2) waits on
// the caller, as os's does. close(2) is not retried on EINTR: the
// descriptor is gone either way.
func (l *Loop) closeOnCaller(fd int) error {
	if l.backend == BackendURing {
		l.ctr().opsOnCaller.Add(1)
	} else {
		l.ctr().ops.Add(1)
	}
	if err := unix.Close(fd); err != nil && err != unix.EINTR {
		return err
	}
	return nil
}

// runChain runs ops as system calls on the caller, as one linked chain
// (see runLinked). It returns ctx's error when ctx cut the chain.
func runChain(ctx context.Context, ops []*Op) error {
	if runLinked(ops, func(k int) bool { return k > 0 && ctx.Err() != nil }, nil) {
		return ctx.Err()
	}
	return nil
}

// runLinked runs ops as system calls with io_uring's link semantics: each
// op runs only after the one before it succeeded in full (a short read or
// write breaks a chain too), and the ops after a break complete with
// -ECANCELED. stop is asked before each op, with its index, whether the
// chain has been cancelled; runLinked reports whether stop cut it. dfd, if
// not nil, stands in for the chain's direct descriptor slot (see
// runOnDescriptor).
func runLinked(ops []*Op, stop func(k int) bool, dfd *int) (stopped bool) {
	broken := false
	for k, op := range ops {
		switch {
		case broken:
			op.Res = -int32(unix.ECANCELED)
		case stop(k):
			op.Res = -int32(unix.ECANCELED)
			broken, stopped = true, true
		default:
			if op.Direct && dfd != nil {
				runOnDescriptor(op, dfd)
			} else {
				op.run()
			}
			if op.Res < 0 || (isTransfer(op.Code) && k+1 < len(ops) && int(op.Res) < transferLen(op)) {
				broken = true
			}
		}
	}
	return stopped
}

// runPool runs the flight's chains on the process's goroutine pool.
func (f *Flight) runPool() {
	if len(f.chains) == 0 {
		return
	}
	// The workers keep the flight open until they exit.
	f.left.Add(int64(PoolWorkers(len(f.chains))))
	PoolSpread(len(f.chains), func(c int) { f.runChain(f.chains[c]) }, f.release)
}

// runChain runs one chain of the flight, then signals its completions
// (after giving back the pool token, since notify may start more work).
func (f *Flight) runChain(c span) {
	PoolHold(func() {
		dfd := -1 // the chain's direct slot, as a plain descriptor
		runLinked(f.ops[c.start:c.end], func(k int) bool {
			return f.cancelled.Load() || f.opCancel[c.start+k].Load()
		}, &dfd)
		if dfd >= 0 {
			unix.Close(dfd) // as the ring empties a slot the chain left full
		}
	})
	for i := c.start; i < c.end; i++ {
		f.complete(i)
	}
}

// runOnDescriptor runs a Direct op of a chain on the pool, where the chain's
// direct slot is a plain descriptor, *fd (-1 while the chain has none):
// the OPENAT sets it (with O_CLOEXEC, which a real slot has no use for),
// the CLOSE closes it, and every other op uses it. Results are those the
// ring gives: 0 for an OPENAT into a slot, -EBADF for an empty one.
func runOnDescriptor(op *Op, fd *int) {
	switch op.Code {
	case ring.OpOpenat, ring.OpOpenat2:
		if *fd >= 0 {
			// Opening into a full slot replaces its file.
			unix.Close(*fd)
			*fd = -1
		}
		flags, how := op.Flags, op.How
		if op.Code == ring.OpOpenat {
			op.Flags |= unix.O_CLOEXEC
		} else if how != nil {
			h := *how
			h.Flags |= unix.O_CLOEXEC
			op.How = &h
		}
		op.run()
		op.Flags, op.How = flags, how
		if op.Res >= 0 {
			*fd, op.Res = int(op.Res), 0
		}
	case ring.OpClose:
		if *fd < 0 {
			op.Res = -int32(unix.EBADF)
			return
		}
		op.Fd = *fd
		*fd = -1
		op.run()
	default:
		if *fd < 0 {
			op.Res = -int32(unix.EBADF)
			return
		}
		op.Fd = *fd
		op.run()
	}
}

func isTransfer(c ring.Opcode) bool {
	return c == ring.OpRead || c == ring.OpWrite || c == ring.OpReadv || c == ring.OpWritev
}

func transferLen(op *Op) int {
	if op.Code == ring.OpRead || op.Code == ring.OpWrite {
		return len(op.Buf)
	}
	n := 0
	for _, b := range op.Iovs {
		n += len(b)
	}
	return n
}

// run executes op with a call on the current goroutine: the syscall backend.
func (op *Op) run() {
	var n int
	var err error
	err = retryEINTR(func() (err error) {
		n, err = op.syscall()
		return err
	})
	if err != nil {
		errno, ok := err.(syscall.Errno)
		if !ok {
			errno = unix.EINVAL
		}
		op.Res = -int32(errno)
		return
	}
	op.Res = int32(n)
}

// retryEINTR runs fn until it fails with something other than EINTR. It
// is the loop's one retry of interrupted system calls: every call sched
// makes on a caller's behalf goes through it, so no caller above sees
// EINTR from the loop.
func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

func (op *Op) syscall() (int, error) {
	switch op.Code {
	case ring.OpNop:
		return 0, nil
	case ring.OpRead:
		if op.Off == -1 {
			return unix.Read(op.Fd, op.Buf)
		}
		return unix.Pread(op.Fd, op.Buf, op.Off)
	case ring.OpWrite:
		if op.Off == -1 {
			return unix.Write(op.Fd, op.Buf)
		}
		return unix.Pwrite(op.Fd, op.Buf, op.Off)
	case ring.OpReadv:
		if op.Off == -1 {
			return unix.Readv(op.Fd, op.Iovs)
		}
		return unix.Preadv(op.Fd, op.Iovs, op.Off)
	case ring.OpWritev:
		if op.Off == -1 {
			return unix.Writev(op.Fd, op.Iovs)
		}
		return unix.Pwritev(op.Fd, op.Iovs, op.Off)
	case ring.OpFsync:
		if op.Flags&ring.FsyncDatasync != 0 {
			return 0, unix.Fdatasync(op.Fd)
		}
		return 0, unix.Fsync(op.Fd)
	case ring.OpOpenat:
		return unix.Openat(op.Fd, op.Path, int(op.Flags), op.Mode)
	case ring.OpOpenat2:
		return unix.Openat2(op.Fd, op.Path, op.How)
	case ring.OpClose:
		// close(2) must not be retried on EINTR: the descriptor is gone.
		if err := unix.Close(op.Fd); err != nil && err != unix.EINTR {
			return 0, err
		}
		return 0, nil
	case ring.OpStatx:
		return 0, statx(op.Fd, op.Path, int(op.Flags), op.Mode, op.Statx)
	case ring.OpFallocate:
		return 0, unix.Fallocate(op.Fd, op.Mode, op.Off, int64(op.Len))
	case ring.OpFadvise:
		return 0, unix.Fadvise(op.Fd, op.Off, int64(op.Len), int(op.Flags))
	case ring.OpRenameat:
		return 0, unix.Renameat2(op.Fd, op.Path, op.Fd2, op.Path2, uint(op.Flags))
	case ring.OpUnlinkat:
		return 0, unix.Unlinkat(op.Fd, op.Path, int(op.Flags))
	case ring.OpMkdirat:
		return 0, unix.Mkdirat(op.Fd, op.Path, op.Mode)
	case ring.OpSymlinkat:
		return 0, unix.Symlinkat(op.Path, op.Fd, op.Path2)
	case ring.OpLinkat:
		return 0, unix.Linkat(op.Fd, op.Path, op.Fd2, op.Path2, int(op.Flags))
	case ring.OpFtruncate:
		return 0, unix.Ftruncate(op.Fd, int64(op.Len))
	case ring.OpSplice:
		var inOff, outOff *int64
		if op.Off2 != -1 {
			o := op.Off2
			inOff = &o
		}
		if op.Off != -1 {
			o := op.Off
			outOff = &o
		}
		n, err := unix.Splice(op.Fd2, inOff, op.Fd, outOff, int(op.Len), int(op.Flags))
		return int(n), err
	}
	return 0, unix.EINVAL
}

// statx is statx(2). Names shorter than a small buffer on the stack are
// passed from there, which spares an allocation per call; the kernel has
// read the name when the call returns.
func statx(dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) error {
	var buf [256]byte
	p, err := cstringOn(&buf, path)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall6(unix.SYS_STATX, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(flags), uintptr(mask), uintptr(unsafe.Pointer(st)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// cstringOn returns s as a NUL-terminated string in buf, or in a new
// allocation when it does not fit; EINVAL if s holds a NUL.
func cstringOn(buf *[256]byte, s string) (*byte, error) {
	if len(s) >= len(buf) {
		return unix.BytePtrFromString(s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, unix.EINVAL
	}
	copy(buf[:], s)
	buf[len(s)] = 0
	return &buf[0], nil
}
