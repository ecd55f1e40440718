package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
)

// On Linux a LinkedFile's operations are Direct ops of the chain's flight:
// the loop gives the chain a direct descriptor slot, the OPENAT opens into
// it, the ops after it name it, and the loop empties it when the chain is
// over (see sched.Loop.Start). On the syscall backend the loop stands a
// plain descriptor in for the slot.

// errLinkedTooLarge is the error of a LinkedFile read or write of more than
// one operation can transfer: a linked chain cannot split it.
var errLinkedTooLarge = errors.New("uringfs: a linked read or write transfers at most 1 GiB")

// OpenLinked adds to the chain b an open of the named file with flag and
// perm, as OpenFile takes them, and returns the file for the operations
// that follow in the chain. b must be a chain (Batch.Chain), and a chain
// opens at most one file.
func (b *Batch) OpenLinked(name string, flag int, perm fs.FileMode) *LinkedFile {
	lf := &LinkedFile{name: name, flag: flag}
	// A direct descriptor is in no process table, so it has no
	// close-on-exec flag; the kernel refuses one.
	op := &sched.Op{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: name,
		Flags: uint32(flag &^ unix.O_CLOEXEC), Mode: syscallMode(perm)}
	b.linkIn(lf)
	lf.opened = addLinked(b, lf, "open", op, nil, func(int32) (struct{}, error) { return struct{}{}, nil })
	return lf
}

// ReadAt adds to the chain a read of len(p) bytes at off: the handle's
// result is what File.ReadAt returns (io.EOF when the file ends first,
// which also ends the chain). p belongs to the kernel until the handle is
// done.
func (lf *LinkedFile) ReadAt(p []byte, off int64) *Pending[int] {
	op := &sched.Op{Code: ring.OpRead, Buf: p, Off: off}
	check := func() (bool, error) {
		switch {
		case off < 0:
			return false, &fs.PathError{Op: "readat", Path: lf.name, Err: errors.New("negative offset")}
		case len(p) > sched.MaxRW:
			return false, &fs.PathError{Op: "read", Path: lf.name, Err: errLinkedTooLarge}
		}
		return len(p) == 0, nil
	}
	return addLinked(lf.chain, lf, "read", op, check, func(res int32) (int, error) {
		if int(res) < len(p) {
			return int(res), io.EOF
		}
		return int(res), nil
	})
}

// WriteAt adds to the chain a write of p at off: the handle's result is
// what File.WriteAt returns, except that a write the kernel cut short
// reports io.ErrShortWrite (and ends the chain) rather than being
// continued. p belongs to the kernel until the handle is done.
func (lf *LinkedFile) WriteAt(p []byte, off int64) *Pending[int] {
	op := &sched.Op{Code: ring.OpWrite, Buf: p, Off: off}
	check := func() (bool, error) {
		switch {
		case lf.flag&unix.O_APPEND != 0:
			return false, errWriteAtInAppendMode
		case off < 0:
			return false, &fs.PathError{Op: "writeat", Path: lf.name, Err: errors.New("negative offset")}
		case len(p) > sched.MaxRW:
			return false, &fs.PathError{Op: "write", Path: lf.name, Err: errLinkedTooLarge}
		}
		return len(p) == 0, nil
	}
	return addLinked(lf.chain, lf, "write", op, check, func(res int32) (int, error) {
		if int(res) < len(p) {
			return int(res), &fs.PathError{Op: "write", Path: lf.name, Err: io.ErrShortWrite}
		}
		return int(res), nil
	})
}

// Sync adds to the chain an fsync of the file, as File.Sync.
func (lf *LinkedFile) Sync() *Pending[struct{}] {
	op := &sched.Op{Code: ring.OpFsync}
	return addLinked(lf.chain, lf, "sync", op, nil, func(int32) (struct{}, error) { return struct{}{}, nil })
}

// Close adds to the chain the close of the file. Without it the file is
// closed when the chain ends; with it, its error (as File.Close reports
// one) is the handle's.
func (lf *LinkedFile) Close() *Pending[struct{}] {
	op := &sched.Op{Code: ring.OpClose}
	return addLinked(lf.chain, lf, "close", op, nil, func(int32) (struct{}, error) { return struct{}{}, nil })
}

// addLinked adds op, on lf's slot, to the chain b. check, if not nil,
// runs at Submit: an error fails the handle and ends the chain there,
// skip completes the handle with the zero result and leaves the op out.
// result turns a non-negative op.Res into the handle's result.
func addLinked[T any](b *Batch, lf *LinkedFile, opName string, op *sched.Op, check func() (skip bool, err error),
	result func(res int32) (T, error)) *Pending[T] {
	h := newPending[T]()
	e := newEntry(h)
	op.Direct = true
	e.op = op
	var zero T
	wrap := func(err error) error { return &fs.PathError{Op: opName, Path: lf.name, Err: err} }
	e.start = func(context.Context, *sched.Loop) bool {
		if check == nil {
			return true
		}
		skip, err := check()
		switch {
		case err != nil:
			e.failed = true
			h.finish(zero, err)
			return false
		case skip:
			h.finish(zero, nil)
			return false
		}
		return true
	}
	e.fail = func(err error) { h.finish(zero, wrap(err)) }
	e.abort = e.fail
	e.end = func(ctx context.Context) {
		res := op.Res
		if res >= 0 {
			h.finish(result(res))
			return
		}
		if interrupted(res) {
			if cause := cancelCause(ctx, h); cause != nil {
				h.finish(zero, wrap(cause))
				return
			}
		}
		h.finish(zero, wrap(syscall.Errno(-res)))
	}
	b.add(e, h)
	return h
}
