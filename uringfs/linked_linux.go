package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"

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
	b.linkIn(lf)
	s := lf.newCtl(linkOpen)
	s.op = sched.OpenatOp(unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, syscallMode(perm))
	lf.opened = s.add()
	return lf
}

// ReadAt adds to the chain a read of len(p) bytes at off: the handle's
// result is what File.ReadAt returns (io.EOF when the file ends first,
// which also ends the chain). p belongs to the kernel until the handle is
// done.
func (lf *LinkedFile) ReadAt(p []byte, off int64) *Pending[int] {
	var pre error
	switch {
	case off < 0:
		pre = &fs.PathError{Op: "readat", Path: lf.name, Err: errors.New("negative offset")}
	case len(p) > sched.MaxRW:
		pre = &fs.PathError{Op: "read", Path: lf.name, Err: errLinkedTooLarge}
	}
	return lf.addRW(linkRead, p, off, pre)
}

// WriteAt adds to the chain a write of p at off: the handle's result is
// what File.WriteAt returns, except that a write the kernel cut short
// reports io.ErrShortWrite (and ends the chain) rather than being
// continued. p belongs to the kernel until the handle is done.
func (lf *LinkedFile) WriteAt(p []byte, off int64) *Pending[int] {
	var pre error
	switch {
	case lf.flag&unix.O_APPEND != 0:
		pre = errWriteAtInAppendMode
	case off < 0:
		pre = &fs.PathError{Op: "writeat", Path: lf.name, Err: errors.New("negative offset")}
	case len(p) > sched.MaxRW:
		pre = &fs.PathError{Op: "write", Path: lf.name, Err: errLinkedTooLarge}
	}
	return lf.addRW(linkWrite, p, off, pre)
}

// Sync adds to the chain an fsync of the file, as File.Sync.
func (lf *LinkedFile) Sync() *Pending[struct{}] {
	s := lf.newCtl(linkSync)
	s.op = sched.FsyncOp(-1, false)
	return s.add()
}

// Close adds to the chain the close of the file. Without it the file is
// closed when the chain ends; with it, its error (as File.Close reports
// one) is the handle's.
func (lf *LinkedFile) Close() *Pending[struct{}] {
	s := lf.newCtl(linkClose)
	s.op = sched.CloseOp(-1)
	return s.add()
}

// linkedKind says which LinkedFile operation a step is.
type linkedKind uint8

const (
	linkOpen linkedKind = iota
	linkRead
	linkWrite
	linkSync
	linkClose
)

var linkedOpNames = [...]string{"open", "read", "write", "sync", "close"}

// linkedStep is what every LinkedFile operation holds: its batch entry
// and its op (Direct: on the chain's slot, so its fd is not used),
// allocated together with its handle (linkedRW, linkedCtl) rather than as
// a handle, an entry, an op and a closure for each of start, end and fail.
type linkedStep struct {
	e    entry
	op   sched.Op
	lf   *LinkedFile
	kind linkedKind
}

func (s *linkedStep) wrap(err error) error {
	return &fs.PathError{Op: linkedOpNames[s.kind], Path: s.lf.name, Err: err}
}

// resErr is the error of a negative op.Res; cause is why the handle was
// cancelled, if it was.
func (s *linkedStep) resErr(res int32, cause error) error {
	if interrupted(res) && cause != nil {
		return s.wrap(cause)
	}
	return s.wrap(syscall.Errno(-res))
}

// linkedRW is a LinkedFile's ReadAt or WriteAt.
type linkedRW struct {
	linkedStep
	h    Pending[int]
	size int   // bytes asked
	pre  error // an argument error, found when it was added
}

func (lf *LinkedFile) addRW(kind linkedKind, p []byte, off int64, pre error) *Pending[int] {
	s := &linkedRW{size: len(p), pre: pre}
	s.lf, s.kind = lf, kind
	if kind == linkRead {
		s.op = sched.ReadOp(-1, p, off)
	} else {
		s.op = sched.WriteOp(-1, p, off)
	}
	s.op.Direct = true
	s.h.done = make(chan struct{})
	s.e.h, s.e.op, s.e.impl = &s.h, &s.op, s
	lf.chain.add(&s.e, &s.h)
	return &s.h
}

// start reports an argument error (which ends the chain there) or an empty
// buffer (nothing to do) instead of submitting.
func (s *linkedRW) start(context.Context, *sched.Loop) bool {
	switch {
	case s.pre != nil:
		s.e.failed = true
		s.h.finish(0, s.pre)
		return false
	case s.size == 0:
		s.h.finish(0, nil)
		return false
	}
	return true
}

func (s *linkedRW) end(ctx context.Context) {
	switch res := s.op.Res; {
	case res < 0:
		s.h.finish(0, s.resErr(res, cancelCause(ctx, &s.h)))
	case int(res) >= s.size:
		s.h.finish(int(res), nil)
	case s.kind == linkRead:
		s.h.finish(int(res), io.EOF)
	default:
		s.h.finish(int(res), s.wrap(io.ErrShortWrite))
	}
}

func (s *linkedRW) fail(err error)  { s.h.finish(0, s.wrap(err)) }
func (s *linkedRW) abort(err error) { s.fail(err) }

// linkedCtl is a LinkedFile's open, Sync or Close.
type linkedCtl struct {
	linkedStep
	h Pending[struct{}]
}

// newCtl makes the step; add adds it to the chain once its op is filled.
func (lf *LinkedFile) newCtl(kind linkedKind) *linkedCtl {
	s := &linkedCtl{}
	s.lf, s.kind = lf, kind
	return s
}

func (s *linkedCtl) add() *Pending[struct{}] {
	s.op.Direct = true
	s.h.done = make(chan struct{})
	s.e.h, s.e.op, s.e.impl = &s.h, &s.op, s
	s.lf.chain.add(&s.e, &s.h)
	return &s.h
}

func (s *linkedCtl) start(context.Context, *sched.Loop) bool { return true }

func (s *linkedCtl) end(ctx context.Context) {
	if res := s.op.Res; res < 0 {
		s.h.finish(struct{}{}, s.resErr(res, cancelCause(ctx, &s.h)))
		return
	}
	s.h.finish(struct{}{}, nil)
}

func (s *linkedCtl) fail(err error)  { s.h.finish(struct{}{}, s.wrap(err)) }
func (s *linkedCtl) abort(err error) { s.fail(err) }
