package sched

import (
	"context"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// MaxRW is the largest transfer one read or write operation asks for, as in
// the os package: larger requests are split by the caller.
const MaxRW = 1 << 30

// Op describes one operation. Which fields are used depends on Code; the
// typed methods of Loop (Pread, Openat, ...) and the constructors (ReadOp,
// OpenatOp, ...) fill them. After Do returns, Res holds the kernel's
// result: a count or descriptor when >= 0, -errno when < 0.
type Op struct {
	Code  ring.Opcode
	Fd    int    // the file, or the directory for *at operations
	Fd2   int    // newdirfd for RENAMEAT/LINKAT, fd_in for SPLICE
	Off   int64  // file offset; -1 means the file position (READ/WRITE/SPLICE)
	Off2  int64  // offset on fd_in for SPLICE
	Len   uint64 // length for FALLOCATE, FADVISE, FTRUNCATE, SPLICE
	Buf   []byte // READ, WRITE
	Iovs  [][]byte
	Path  string
	Path2 string
	Flags uint32 // open, statx, unlink, rename, link, fsync or splice flags; fadvise advice
	Mode  uint32 // open or mkdir mode, statx mask, fallocate mode
	How   *unix.OpenHow
	Statx *unix.Statx_t

	// SQEFlags are IOSQE_* flags added to the op's SQE, such as
	// ring.SQEIOHardlink. They apply on the io_uring backend only.
	SQEFlags uint8
	// Direct makes the op work on the direct (fixed) descriptor slot that
	// Loop.ChainDirect or ChainsDirect reserved for its chain, or that
	// Start takes for a chain of a flight: OPENAT opens into the slot,
	// CLOSE closes it, any other op uses it as its file (IOSQE_FIXED_FILE)
	// in place of Fd; a Direct READ or WRITE passes Flags as its RWF_* flags.
	// Do and Chain refuse such ops.
	Direct bool

	// Res is the result, filled in by the loop.
	Res int32

	// What the kernel reads through the SQE is held here until the CQE.
	path, path2 []byte
	iovecs      []unix.Iovec
	done        chan struct{}
	// lead is the first op of a multi-op submission, whose done channel
	// signals the whole submission once its left count reaches zero.
	lead *Op
	left atomic.Int32
	ud   uint64
	// slot is the direct descriptor slot of a Direct op, and armed says
	// ChainDirect set it.
	slot  uint32
	armed bool
	// detached ops (cancel requests) have no waiter: the reaper recycles them.
	detached bool
}

// Err returns the error in Res, or nil.
func (op *Op) Err() error {
	if op.Res < 0 {
		return syscall.Errno(-op.Res)
	}
	return nil
}

// The constructors below describe an operation by the call it stands for,
// so that code building Batches, flights and chains states what it wants
// done and never which opcode does it. Each returns a fresh Op; setting
// Direct on it makes it work on its chain's direct descriptor slot, and
// then fd is not used.

// ReadOp describes a read of up to len(p) bytes from fd at off (-1: at the
// file position), as pread(2) or read(2).
func ReadOp(fd int, p []byte, off int64) Op {
	return Op{Code: ring.OpRead, Fd: fd, Buf: p, Off: off}
}

// WriteOp describes a write of p to fd at off (-1: at the file position,
// or the end with O_APPEND), as pwrite(2) or write(2).
func WriteOp(fd int, p []byte, off int64) Op {
	return Op{Code: ring.OpWrite, Fd: fd, Buf: p, Off: off}
}

// FsyncOp describes fsync(2) of fd, or fdatasync(2) with datasync.
func FsyncOp(fd int, datasync bool) Op {
	return Op{Code: ring.OpFsync, Fd: fd, Flags: fsyncFlags(datasync)}
}

// OpenatOp describes openat(2) of path relative to dirfd.
func OpenatOp(dirfd int, path string, flags int, mode uint32) Op {
	return Op{Code: ring.OpOpenat, Fd: dirfd, Path: path, Flags: uint32(flags), Mode: mode}
}

// StatxOp describes statx(2) of path relative to dirfd into st (flags:
// AT_*, mask: STATX_*).
func StatxOp(dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) Op {
	return Op{Code: ring.OpStatx, Fd: dirfd, Path: path, Flags: uint32(flags), Mode: mask, Statx: st}
}

// CloseOp describes close(2) of fd.
func CloseOp(fd int) Op { return Op{Code: ring.OpClose, Fd: fd} }

func fsyncFlags(datasync bool) uint32 {
	if datasync {
		return ring.FsyncDatasync
	}
	return 0
}

// prepare converts the Go-side arguments into memory the kernel can read.
func (op *Op) prepare() error {
	var err error
	// The NUL-terminated copies reuse the buffers a pooled op kept.
	op.path, op.path2 = op.path[:0], op.path2[:0]
	if op.Direct && !op.armed {
		return unix.EINVAL // a slot number outside ChainDirect could name anything
	}
	switch op.Code {
	case ring.OpOpenat, ring.OpOpenat2, ring.OpStatx, ring.OpUnlinkat, ring.OpMkdirat:
		op.path, err = cstring(op.path, op.Path)
	case ring.OpRenameat, ring.OpSymlinkat, ring.OpLinkat:
		if op.path, err = cstring(op.path, op.Path); err == nil {
			op.path2, err = cstring(op.path2, op.Path2)
		}
	case ring.OpReadv, ring.OpWritev:
		op.iovecs = op.iovecs[:0]
		for _, b := range op.Iovs {
			var v unix.Iovec
			if len(b) > 0 {
				v.Base = &b[0]
				v.SetLen(len(b))
			}
			op.iovecs = append(op.iovecs, v)
		}
	}
	return err
}

// cstring appends s and a NUL to dst[:0].
func cstring(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, unix.EINVAL
		}
	}
	return append(append(dst[:0], s...), 0), nil
}

// fill prepares sqe from op. prepare must have run.
func (op *Op) fill(sqe *ring.SQE) {
	off := uint64(op.Off)
	switch op.Code {
	case ring.OpNop:
		sqe.PrepNop()
	case ring.OpRead:
		sqe.PrepRead(op.Fd, op.Buf, off)
	case ring.OpWrite:
		sqe.PrepWrite(op.Fd, op.Buf, off)
	case ring.OpReadv:
		sqe.PrepReadv(op.Fd, op.iovecs, off)
	case ring.OpWritev:
		sqe.PrepWritev(op.Fd, op.iovecs, off)
	case ring.OpFsync:
		sqe.PrepFsync(op.Fd, op.Flags)
	case ring.OpOpenat:
		sqe.PrepOpenat(op.Fd, &op.path[0], int(op.Flags), op.Mode)
	case ring.OpOpenat2:
		sqe.PrepOpenat2(op.Fd, &op.path[0], op.How)
	case ring.OpClose:
		sqe.PrepClose(op.Fd)
	case ring.OpStatx:
		sqe.PrepStatx(op.Fd, &op.path[0], int(op.Flags), op.Mode, op.Statx)
	case ring.OpFallocate:
		sqe.PrepFallocate(op.Fd, op.Mode, off, op.Len)
	case ring.OpFadvise:
		sqe.PrepFadvise(op.Fd, off, op.Len, op.Flags)
	case ring.OpRenameat:
		sqe.PrepRenameat(op.Fd, &op.path[0], op.Fd2, &op.path2[0], op.Flags)
	case ring.OpUnlinkat:
		sqe.PrepUnlinkat(op.Fd, &op.path[0], int(op.Flags))
	case ring.OpMkdirat:
		sqe.PrepMkdirat(op.Fd, &op.path[0], op.Mode)
	case ring.OpSymlinkat:
		sqe.PrepSymlinkat(&op.path[0], op.Fd, &op.path2[0])
	case ring.OpLinkat:
		sqe.PrepLinkat(op.Fd, &op.path[0], op.Fd2, &op.path2[0], int(op.Flags))
	case ring.OpFtruncate:
		sqe.PrepFtruncate(op.Fd, op.Len)
	case ring.OpSplice:
		sqe.PrepSplice(op.Fd2, uint64(op.Off2), op.Fd, off, uint32(op.Len), op.Flags)
	case ring.OpAsyncCancel:
		sqe.PrepAsyncCancel(op.Len, op.Flags)
		if op.Flags&ring.AsyncCancelFd != 0 {
			sqe.Fd = int32(op.Fd)
		}
	default:
		panic("sched: unsupported opcode " + op.Code.String())
	}
	op.fillDirect(sqe)
}

// supportedOps are the opcodes Op knows how to prepare and to run as
// syscalls.
var supportedOps = []ring.Opcode{
	ring.OpNop, ring.OpRead, ring.OpWrite, ring.OpReadv, ring.OpWritev, ring.OpFsync,
	ring.OpOpenat, ring.OpOpenat2, ring.OpClose, ring.OpStatx, ring.OpFallocate,
	ring.OpFadvise, ring.OpRenameat, ring.OpUnlinkat, ring.OpMkdirat, ring.OpSymlinkat,
	ring.OpLinkat, ring.OpFtruncate, ring.OpSplice,
}

func known(code ring.Opcode) bool {
	for _, c := range supportedOps {
		if c == code {
			return true
		}
	}
	return false
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
		return 0, unix.Statx(op.Fd, op.Path, int(op.Flags), int(op.Mode), op.Statx)
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
// ctx says.
func (l *Loop) CloseFd(fd int) error {
	op := getOp(ring.OpClose)
	defer putOp(op)
	op.Fd = fd
	return l.result0(context.Background(), op)
}

// Statx fills st for path relative to dirfd (flags: AT_*, mask: STATX_*).
func (l *Loop) Statx(ctx context.Context, dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) error {
	op := getOp(ring.OpStatx)
	defer putOp(op)
	op.Fd, op.Path, op.Flags, op.Mode, op.Statx = dirfd, path, uint32(flags), mask, st
	return l.result0(ctx, op)
}

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
	op := getOp(ring.OpRenameat)
	defer putOp(op)
	op.Fd, op.Path, op.Fd2, op.Path2, op.Flags = olddirfd, oldpath, newdirfd, newpath, flags
	return l.result0(ctx, op)
}

// Unlinkat removes path (a directory with AT_REMOVEDIR).
func (l *Loop) Unlinkat(ctx context.Context, dirfd int, path string, flags int) error {
	op := getOp(ring.OpUnlinkat)
	defer putOp(op)
	op.Fd, op.Path, op.Flags = dirfd, path, uint32(flags)
	return l.result0(ctx, op)
}

// Mkdirat creates directory path with mode.
func (l *Loop) Mkdirat(ctx context.Context, dirfd int, path string, mode uint32) error {
	op := getOp(ring.OpMkdirat)
	defer putOp(op)
	op.Fd, op.Path, op.Mode = dirfd, path, mode
	return l.result0(ctx, op)
}

// Symlinkat creates linkpath (relative to newdirfd) pointing at target.
func (l *Loop) Symlinkat(ctx context.Context, target string, newdirfd int, linkpath string) error {
	op := getOp(ring.OpSymlinkat)
	defer putOp(op)
	op.Path, op.Fd, op.Path2 = target, newdirfd, linkpath
	return l.result0(ctx, op)
}

// Linkat creates a hard link newpath to oldpath.
func (l *Loop) Linkat(ctx context.Context, olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
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
