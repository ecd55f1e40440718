package sched

// The typed calls: each describes one operation as the system call it
// stands for, runs it with Do and turns its result into what the system
// call returns. Exported reads and writes clamp to MaxRW once, on entry.

import (
	"context"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// MaxRW is the largest transfer one read or write operation asks for, as in
// the os package: larger requests are split by the caller.
const MaxRW = 1 << 30

// Nop runs IORING_OP_NOP: a round trip through the loop.
func (l *Loop) Nop(ctx context.Context) error {
	op := getOp(ring.OpNop)
	defer putOp(op)
	return l.result0(ctx, op)
}

func (l *Loop) result(ctx context.Context, op *Op) (int, error) {
	if err := l.Do(ctx, op); err != nil {
		return 0, err
	}
	if op.Res == -int32(unix.EAGAIN) && isTransfer(op.Code) && op.Off >= 0 {
		// pread/pwrite on a seekable file never fail with EAGAIN, but the
		// ring may post it for a file opened with O_NONBLOCK whose data is
		// not at hand (the kernel's REQ_F_NOWAIT). os would block, so do
		// what os does: the syscall, here.
		l.ctr().retries.Add(1)
		op.run()
	}
	if op.Res < 0 {
		return 0, syscall.Errno(-op.Res)
	}
	return int(op.Res), nil
}

func (l *Loop) result0(ctx context.Context, op *Op) error {
	_, err := l.result(ctx, op)
	return err
}

// Pread reads into p at off (-1: at the file position) with one READ of at
// most MaxRW bytes. A short count is returned as is.
func (l *Loop) Pread(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	return l.pread(ctx, fd, clampRW(p), off)
}

// clampRW cuts p to MaxRW bytes. Each exported read or write clamps once,
// on entry, and hands on to the unexported forms, which do not.
func clampRW(p []byte) []byte {
	if len(p) > MaxRW {
		return p[:MaxRW]
	}
	return p
}

func (l *Loop) pread(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	op := getOp(ring.OpRead)
	defer putOp(op)
	op.Fd, op.Buf, op.Off = fd, p, off
	return l.result(ctx, op)
}

// Pwrite writes p at off (-1: at the file position, or the end with
// O_APPEND) with one WRITE of at most MaxRW bytes.
func (l *Loop) Pwrite(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	return l.pwrite(ctx, fd, clampRW(p), off)
}

func (l *Loop) pwrite(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	op := getOp(ring.OpWrite)
	defer putOp(op)
	op.Fd, op.Buf, op.Off = fd, p, off
	return l.result(ctx, op)
}

// Preadv reads into iovs at off with one READV.
func (l *Loop) Preadv(ctx context.Context, fd int, iovs [][]byte, off int64) (int, error) {
	op := getOp(ring.OpReadv)
	defer putOp(op)
	op.Fd, op.Iovs, op.Off = fd, iovs, off
	return l.result(ctx, op)
}

// Pwritev writes iovs at off with one WRITEV.
func (l *Loop) Pwritev(ctx context.Context, fd int, iovs [][]byte, off int64) (int, error) {
	op := getOp(ring.OpWritev)
	defer putOp(op)
	op.Fd, op.Iovs, op.Off = fd, iovs, off
	return l.result(ctx, op)
}

// Fsync flushes fd to stable storage; with datasync only the data and the
// metadata needed to read it back (fdatasync).
func (l *Loop) Fsync(ctx context.Context, fd int, datasync bool) error {
	op := getOp(ring.OpFsync)
	defer putOp(op)
	op.Fd, op.Flags = fd, fsyncFlags(datasync)
	return l.result0(ctx, op)
}

// Openat opens path relative to dirfd and returns the new descriptor.
func (l *Loop) Openat(ctx context.Context, dirfd int, path string, flags int, mode uint32) (int, error) {
	op := getOp(ring.OpOpenat)
	defer putOp(op)
	op.Fd, op.Path, op.Flags, op.Mode = dirfd, path, uint32(flags), mode
	return l.result(ctx, op)
}

// Openat2 opens path relative to dirfd with the resolution rules in how.
func (l *Loop) Openat2(ctx context.Context, dirfd int, path string, how *unix.OpenHow) (int, error) {
	op := getOp(ring.OpOpenat2)
	defer putOp(op)
	h := *how
	op.Fd, op.Path, op.How = dirfd, path, &h
	return l.result(ctx, op)
}

// CloseFd closes fd. It is not cancellable: the descriptor is released whatever
// ctx says. It runs as close(2) on the caller (closeOnCaller), except under
// the tests' fault injection, whose faults only the ring can carry.
func (l *Loop) CloseFd(fd int) error {
	if !faultsActive() {
		return l.closeOnCaller(fd)
	}
	op := getOp(ring.OpClose)
	defer putOp(op)
	op.Fd = fd
	return l.result0(context.Background(), op)
}

// Statx fills st for path relative to dirfd (flags: AT_*, mask: STATX_*).
// The kernel writes into a pooled buffer, copied to st at the end: the op
// must hold heap memory for the kernel until its completion, and st, which
// is then never stored, can stay on the caller's stack.
func (l *Loop) Statx(ctx context.Context, dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpStatx, func() error {
		return statx(dirfd, path, flags, mask, st)
	}); ran {
		return err
	}
	op := getOp(ring.OpStatx)
	defer putOp(op)
	buf := statxPool.Get().(*unix.Statx_t)
	op.Fd, op.Path, op.Flags, op.Mode, op.Statx = dirfd, path, uint32(flags), mask, buf
	err := l.result0(ctx, op)
	*st = *buf
	statxPool.Put(buf)
	return err
}

var statxPool = sync.Pool{New: func() any { return new(unix.Statx_t) }}

// Fallocate manipulates the space of fd (fallocate(2)).
func (l *Loop) Fallocate(ctx context.Context, fd int, mode uint32, off, length int64) error {
	op := getOp(ring.OpFallocate)
	defer putOp(op)
	op.Fd, op.Mode, op.Off, op.Len = fd, mode, off, uint64(length)
	return l.result0(ctx, op)
}

// Fadvise declares an access pattern (posix_fadvise(2)).
func (l *Loop) Fadvise(ctx context.Context, fd int, off, length int64, advice int) error {
	op := getOp(ring.OpFadvise)
	defer putOp(op)
	op.Fd, op.Off, op.Len, op.Flags = fd, off, uint64(length), uint32(advice)
	return l.result0(ctx, op)
}

// Renameat renames oldpath to newpath (renameat2(2) with flags).
func (l *Loop) Renameat(ctx context.Context, olddirfd int, oldpath string, newdirfd int, newpath string, flags uint32) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpRenameat, func() error {
		return unix.Renameat2(olddirfd, oldpath, newdirfd, newpath, uint(flags))
	}); ran {
		return err
	}
	op := getOp(ring.OpRenameat)
	defer putOp(op)
	op.Fd, op.Path, op.Fd2, op.Path2, op.Flags = olddirfd, oldpath, newdirfd, newpath, flags
	return l.result0(ctx, op)
}

// Unlinkat removes path (a directory with AT_REMOVEDIR).
func (l *Loop) Unlinkat(ctx context.Context, dirfd int, path string, flags int) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpUnlinkat, func() error {
		return unix.Unlinkat(dirfd, path, flags)
	}); ran {
		return err
	}
	op := getOp(ring.OpUnlinkat)
	defer putOp(op)
	op.Fd, op.Path, op.Flags = dirfd, path, uint32(flags)
	return l.result0(ctx, op)
}

// Mkdirat creates directory path with mode.
func (l *Loop) Mkdirat(ctx context.Context, dirfd int, path string, mode uint32) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpMkdirat, func() error {
		return unix.Mkdirat(dirfd, path, mode)
	}); ran {
		return err
	}
	op := getOp(ring.OpMkdirat)
	defer putOp(op)
	op.Fd, op.Path, op.Mode = dirfd, path, mode
	return l.result0(ctx, op)
}

// Symlinkat creates linkpath (relative to newdirfd) pointing at target.
func (l *Loop) Symlinkat(ctx context.Context, target string, newdirfd int, linkpath string) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpSymlinkat, func() error {
		return unix.Symlinkat(target, newdirfd, linkpath)
	}); ran {
		return err
	}
	op := getOp(ring.OpSymlinkat)
	defer putOp(op)
	op.Path, op.Fd, op.Path2 = target, newdirfd, linkpath
	return l.result0(ctx, op)
}

// Linkat creates a hard link newpath to oldpath.
func (l *Loop) Linkat(ctx context.Context, olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	if ran, err := l.metaOnCaller(ctx, ring.OpLinkat, func() error {
		return unix.Linkat(olddirfd, oldpath, newdirfd, newpath, flags)
	}); ran {
		return err
	}
	op := getOp(ring.OpLinkat)
	defer putOp(op)
	op.Fd, op.Path, op.Fd2, op.Path2, op.Flags = olddirfd, oldpath, newdirfd, newpath, uint32(flags)
	return l.result0(ctx, op)
}

// Ftruncate sets the size of fd.
func (l *Loop) Ftruncate(ctx context.Context, fd int, length int64) error {
	op := getOp(ring.OpFtruncate)
	defer putOp(op)
	op.Fd, op.Len = fd, uint64(length)
	return l.result0(ctx, op)
}

// Splice moves up to n bytes from fdIn at offIn to fdOut at offOut (-1: file
// position; one side must be a pipe).
func (l *Loop) Splice(ctx context.Context, fdIn int, offIn int64, fdOut int, offOut int64, n int, flags uint32) (int, error) {
	if n > MaxRW {
		n = MaxRW
	}
	op := getOp(ring.OpSplice)
	defer putOp(op)
	op.Fd2, op.Off2, op.Fd, op.Off, op.Len, op.Flags = fdIn, offIn, fdOut, offOut, uint64(n), flags
	return l.result(ctx, op)
}
