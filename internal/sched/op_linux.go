package sched

// An Op describes one operation in the terms of the system call it stands
// for; this file turns it into what the kernel reads (prepare, fill: the
// SQE, direct slot included) and pools Ops between calls.

import (
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

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

// fillDirect applies SQEFlags and the direct slot to a prepared SQE.
func (op *Op) fillDirect(sqe *ring.SQE) {
	sqe.Flags |= op.SQEFlags
	if !op.Direct {
		return
	}
	switch op.Code {
	case ring.OpOpenat, ring.OpOpenat2:
		sqe.SpliceFdIn = int32(op.slot + 1) // file_index is the slot plus one
		if op.Code == ring.OpOpenat {
			// A direct descriptor is in no process table, so it has no
			// close-on-exec flag, and the kernel refuses one.
			sqe.OpFlags &^= unix.O_CLOEXEC
		}
	case ring.OpClose:
		sqe.Fd = 0
		sqe.SpliceFdIn = int32(op.slot + 1)
	default:
		sqe.Fd = int32(op.slot)
		sqe.Flags |= ring.SQEFixedFile
		if op.Code == ring.OpRead || op.Code == ring.OpWrite {
			sqe.OpFlags = op.Flags // RWF_* (RWF_NOWAIT)
		}
	}
}

var opPool = sync.Pool{New: func() any { return &Op{done: make(chan struct{}, 1)} }}

func getOp(code ring.Opcode) *Op {
	op := opPool.Get().(*Op)
	op.Code = code
	return op
}

// putOp returns an op whose completion has been consumed; it drops every
// reference to caller memory first. It keeps its done channel and the
// buffers of its NUL-terminated paths, which are its own, for the next use.
func putOp(op *Op) {
	*op = Op{done: op.done, path: op.path[:0], path2: op.path2[:0]}
	opPool.Put(op)
}
