package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prep functions fill an SQE the way the matching io_uring_prep_*(3) helper
// of liburing does. Every pointer argument is stored as an address: the
// caller keeps the memory alive until the CQE is reaped (see the package
// doc). UserData and Flags are left for the caller to set.

func addrOf(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

func ptr[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

func (s *SQE) rw(op Opcode, fd int, addr uint64, n uint32, off uint64) {
	s.Opcode = op
	s.Fd = int32(fd)
	s.Addr = addr
	s.Len = n
	s.Off = off
}

// PrepNop prepares IORING_OP_NOP.
func (s *SQE) PrepNop() { s.Opcode = OpNop; s.Fd = -1 }

// PrepNopResult prepares IORING_OP_NOP that completes with res, failing
// like a real request (breaking its chain) when res is negative. Kernels
// before 6.10 lack IORING_NOP_INJECT_RESULT and complete it with 0.
func (s *SQE) PrepNopResult(res int32) {
	s.PrepNop()
	s.OpFlags = NopInjectResult
	s.Len = uint32(res)
}

// PrepRead prepares IORING_OP_READ of len(buf) bytes at off; off of
// ^uint64(0) (-1) reads at the file position and advances it.
func (s *SQE) PrepRead(fd int, buf []byte, off uint64) {
	s.rw(OpRead, fd, addrOf(buf), uint32(len(buf)), off)
}

// PrepWrite prepares IORING_OP_WRITE.
func (s *SQE) PrepWrite(fd int, buf []byte, off uint64) {
	s.rw(OpWrite, fd, addrOf(buf), uint32(len(buf)), off)
}

// PrepReadv prepares IORING_OP_READV over iovs.
func (s *SQE) PrepReadv(fd int, iovs []unix.Iovec, off uint64) {
	var a uint64
	if len(iovs) > 0 {
		a = ptr(&iovs[0])
	}
	s.rw(OpReadv, fd, a, uint32(len(iovs)), off)
}

// PrepWritev prepares IORING_OP_WRITEV over iovs.
func (s *SQE) PrepWritev(fd int, iovs []unix.Iovec, off uint64) {
	var a uint64
	if len(iovs) > 0 {
		a = ptr(&iovs[0])
	}
	s.rw(OpWritev, fd, a, uint32(len(iovs)), off)
}

// PrepReadFixed prepares IORING_OP_READ_FIXED into registered buffer index;
// buf must lie inside that registered buffer.
func (s *SQE) PrepReadFixed(fd int, buf []byte, off uint64, index uint16) {
	s.rw(OpReadFixed, fd, addrOf(buf), uint32(len(buf)), off)
	s.BufIndex = index
}

// PrepWriteFixed prepares IORING_OP_WRITE_FIXED from registered buffer index.
func (s *SQE) PrepWriteFixed(fd int, buf []byte, off uint64, index uint16) {
	s.rw(OpWriteFixed, fd, addrOf(buf), uint32(len(buf)), off)
	s.BufIndex = index
}

// PrepFsync prepares IORING_OP_FSYNC; flags may hold FsyncDatasync.
func (s *SQE) PrepFsync(fd int, flags uint32) {
	s.rw(OpFsync, fd, 0, 0, 0)
	s.OpFlags = flags
}

// PrepOpenat prepares IORING_OP_OPENAT; path must be NUL-terminated.
func (s *SQE) PrepOpenat(dirfd int, path *byte, flags int, mode uint32) {
	s.rw(OpOpenat, dirfd, ptr(path), mode, 0)
	s.OpFlags = uint32(flags)
}

// PrepOpenatDirect is PrepOpenat into fixed-file slot index (or
// FileIndexAlloc) instead of a regular descriptor.
func (s *SQE) PrepOpenatDirect(dirfd int, path *byte, flags int, mode uint32, index uint32) {
	s.PrepOpenat(dirfd, path, flags, mode)
	if index != FileIndexAlloc {
		index++
	}
	s.SpliceFdIn = int32(index)
}

// PrepOpenat2 prepares IORING_OP_OPENAT2 with how (struct open_how).
func (s *SQE) PrepOpenat2(dirfd int, path *byte, how *unix.OpenHow) {
	s.rw(OpOpenat2, dirfd, ptr(path), uint32(unsafe.Sizeof(*how)), ptr(how))
}

// PrepClose prepares IORING_OP_CLOSE of a regular descriptor.
func (s *SQE) PrepClose(fd int) { s.rw(OpClose, fd, 0, 0, 0) }

// PrepCloseDirect prepares IORING_OP_CLOSE of fixed-file slot index.
func (s *SQE) PrepCloseDirect(index uint32) {
	s.rw(OpClose, 0, 0, 0, 0)
	s.SpliceFdIn = int32(index + 1)
}

// PrepStatx prepares IORING_OP_STATX; path must be NUL-terminated (empty with
// AT_EMPTY_PATH to stat dirfd itself).
func (s *SQE) PrepStatx(dirfd int, path *byte, flags int, mask uint32, st *unix.Statx_t) {
	s.rw(OpStatx, dirfd, ptr(path), mask, ptr(st))
	s.OpFlags = uint32(flags)
}

// PrepFallocate prepares IORING_OP_FALLOCATE.
func (s *SQE) PrepFallocate(fd int, mode uint32, off, length uint64) {
	s.rw(OpFallocate, fd, length, mode, off)
}

// PrepFadvise prepares IORING_OP_FADVISE. Lengths above 4 GiB are passed in
// addr with len 0, which kernels since 6.7 read as a 64-bit length.
func (s *SQE) PrepFadvise(fd int, off, length uint64, advice uint32) {
	if length > 0xffffffff {
		s.rw(OpFadvise, fd, length, 0, off)
	} else {
		s.rw(OpFadvise, fd, 0, uint32(length), off)
	}
	s.OpFlags = advice
}

// PrepRenameat prepares IORING_OP_RENAMEAT.
func (s *SQE) PrepRenameat(olddirfd int, oldpath *byte, newdirfd int, newpath *byte, flags uint32) {
	s.rw(OpRenameat, olddirfd, ptr(oldpath), uint32(newdirfd), ptr(newpath))
	s.OpFlags = flags
}

// PrepUnlinkat prepares IORING_OP_UNLINKAT; flags may hold AT_REMOVEDIR.
func (s *SQE) PrepUnlinkat(dirfd int, path *byte, flags int) {
	s.rw(OpUnlinkat, dirfd, ptr(path), 0, 0)
	s.OpFlags = uint32(flags)
}

// PrepMkdirat prepares IORING_OP_MKDIRAT.
func (s *SQE) PrepMkdirat(dirfd int, path *byte, mode uint32) {
	s.rw(OpMkdirat, dirfd, ptr(path), mode, 0)
}

// PrepSymlinkat prepares IORING_OP_SYMLINKAT creating linkpath -> target.
func (s *SQE) PrepSymlinkat(target *byte, newdirfd int, linkpath *byte) {
	s.rw(OpSymlinkat, newdirfd, ptr(target), 0, ptr(linkpath))
}

// PrepLinkat prepares IORING_OP_LINKAT.
func (s *SQE) PrepLinkat(olddirfd int, oldpath *byte, newdirfd int, newpath *byte, flags int) {
	s.rw(OpLinkat, olddirfd, ptr(oldpath), uint32(newdirfd), ptr(newpath))
	s.OpFlags = uint32(flags)
}

// PrepFtruncate prepares IORING_OP_FTRUNCATE.
func (s *SQE) PrepFtruncate(fd int, length uint64) {
	s.rw(OpFtruncate, fd, 0, 0, length)
}

// PrepSplice prepares IORING_OP_SPLICE of n bytes from fdIn to fdOut; an
// offset of ^uint64(0) means "use the file position" (required for pipes).
func (s *SQE) PrepSplice(fdIn int, offIn uint64, fdOut int, offOut uint64, n uint32, flags uint32) {
	s.rw(OpSplice, fdOut, offIn, n, offOut)
	s.SpliceFdIn = int32(fdIn)
	s.OpFlags = flags
}

// PrepAsyncCancel prepares IORING_OP_ASYNC_CANCEL of the request whose
// user_data is target.
func (s *SQE) PrepAsyncCancel(target uint64, flags uint32) {
	s.rw(OpAsyncCancel, -1, target, 0, 0)
	s.OpFlags = flags
}

// PrepTimeout prepares IORING_OP_TIMEOUT that completes after ts or after
// count other completions, whichever is first.
func (s *SQE) PrepTimeout(ts *KernelTimespec, count uint64, flags uint32) {
	s.rw(OpTimeout, -1, ptr(ts), 1, count)
	s.OpFlags = flags
}

// PrepLinkTimeout prepares IORING_OP_LINK_TIMEOUT bounding the SQE linked
// before it.
func (s *SQE) PrepLinkTimeout(ts *KernelTimespec, flags uint32) {
	s.rw(OpLinkTimeout, -1, ptr(ts), 1, 0)
	s.OpFlags = flags
}

// PrepMsgRing prepares IORING_OP_MSG_RING posting a CQE with res and
// userData on the ring whose fd is ringFd.
func (s *SQE) PrepMsgRing(ringFd int, res uint32, userData uint64, flags uint32) {
	s.rw(OpMsgRing, ringFd, MsgData, res, userData)
	s.OpFlags = flags
}
