package uringfs

// The operations a Batch takes on Linux, other than ReadFile: each one's
// start, its completion and its continuation.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// ReadAt adds a ReadAt of f to the batch: the handle's result is what
// f.ReadAt(p, off) returns. p belongs to the kernel until the handle is
// done.
func (b *Batch) ReadAt(f *File, p []byte, off int64) *Pending[int] {
	return b.addRW(f, p, off, false)
}

// stopErr is the raw error of an op whose result res is interrupted(res), or
// nil when the op is to be finished by its synchronous method instead (EINTR
// and EAGAIN). A handle cancelled by its context or by Pending.Cancel reports
// that cause. An ECANCELED that no one asked for comes from Close, which
// cancels what is in flight on its file, f, and os reports such a call as
// made on a closed file; otherwise (or when the op has no file, f == nil) it
// was an earlier op of its chain that failed.
func stopErr[T any](ctx context.Context, p *Pending[T], f *File, res int32) error {
	if cause := cancelCause(ctx, p); cause != nil {
		return cause
	}
	if res != -int32(unix.ECANCELED) {
		return nil
	}
	if f != nil && f.state.closing() {
		return errClosing
	}
	return unix.ECANCELED
}

// WriteAt adds a WriteAt of f to the batch: the handle's result is what
// f.WriteAt(p, off) returns. p belongs to the kernel until the handle is
// done.
func (b *Batch) WriteAt(f *File, p []byte, off int64) *Pending[int] {
	return b.addRW(f, p, off, true)
}

// rwStep is a ReadAt or WriteAt of a batch: its entry, op and handle in
// one allocation, its start, end and fail as methods (entry.impl).
type rwStep struct {
	e     entry
	h     Pending[int]
	op    sched.Op
	f     *File
	p     []byte
	off   int64
	write bool
}

func (b *Batch) addRW(f *File, p []byte, off int64, write bool) *Pending[int] {
	s := &rwStep{f: f, p: p, off: off, write: write}
	s.h.done = make(chan struct{})
	s.e.h, s.e.op, s.e.impl = &s.h, &s.op, s
	b.add(&s.e, &s.h)
	return &s.h
}

// name is the op name of the step's errors.
func (s *rwStep) name() string {
	if s.write {
		return "write"
	}
	return "read"
}

func (s *rwStep) start(context.Context, *sched.Loop) bool {
	f := s.f
	err := f.checkValid()
	switch {
	case err != nil:
	case s.write && f.appendMode:
		err = errWriteAtInAppendMode
	case s.off < 0 && s.write:
		err = f.wrapErr("writeat", errors.New("negative offset"))
	case s.off < 0:
		err = f.wrapErr("readat", errors.New("negative offset"))
	case len(s.p) == 0:
		s.h.finish(0, nil)
		return false
	default:
		if aerr := f.acquire(); aerr != nil {
			err = f.wrapErr(s.name(), aerr)
		}
	}
	if err != nil {
		s.e.failed = true
		s.h.finish(0, err)
		return false
	}
	if b := s.p[:min(len(s.p), sched.MaxRW)]; s.write {
		s.op = sched.WriteOp(f.fd, b, s.off)
	} else {
		s.op = sched.ReadOp(f.fd, b, s.off)
	}
	return true
}

// done completes a started step.
func (s *rwStep) done(n int, err error) {
	if s.write && err != nil {
		n = 0 // as WriteAt: a call that failed part way counts for nothing
	}
	s.f.release()
	s.h.finish(n, err)
}

func (s *rwStep) fail(err error)  { s.done(0, s.f.wrapErr(s.name(), err)) }
func (s *rwStep) abort(err error) { s.h.finish(0, s.f.wrapErr(s.name(), err)) }

// more finishes the transfer from byte n on a goroutine, with the
// synchronous method, which knows how to continue it.
func (s *rwStep) more(ctx context.Context, n int) {
	continueOn(ctx, &s.h, func(ctx context.Context) {
		var m int
		var err error
		if s.write {
			m, err = s.f.WriteAtContext(ctx, s.p[n:], s.off+int64(n))
		} else {
			m, err = s.f.ReadAtContext(ctx, s.p[n:], s.off+int64(n))
		}
		s.done(n+m, err)
	})
}

func (s *rwStep) end(ctx context.Context) {
	switch res := s.op.Res; {
	case int(res) == len(s.p):
		s.done(len(s.p), nil)
	case res > 0:
		s.more(ctx, int(res))
	case res == 0 && s.write:
		s.done(0, s.f.wrapErr("write", io.ErrUnexpectedEOF))
	case res == 0:
		s.done(0, io.EOF)
	case interrupted(res):
		if err := stopErr(ctx, &s.h, s.f, res); err != nil {
			s.done(0, s.f.wrapErr(s.name(), err))
		} else {
			s.more(ctx, 0)
		}
	default:
		s.done(0, s.f.wrapErr(s.name(), syscall.Errno(-res)))
	}
}

// Sync adds a Sync of f (fsync(2)) to the batch; chained after a WriteAt it
// makes that write durable.
func (b *Batch) Sync(f *File) *Pending[struct{}] {
	h := newPending[struct{}]()
	e := newEntry(h)
	op := new(sched.Op)
	e.op = op
	e.start = func(ctx context.Context, l *sched.Loop) bool {
		if err := f.checkValid(); err != nil {
			e.failed = true
			h.finish(struct{}{}, err)
			return false
		}
		if err := f.acquire(); err != nil {
			e.failed = true
			h.finish(struct{}{}, f.wrapErr("sync", err))
			return false
		}
		*op = sched.FsyncOp(f.fd, false)
		return true
	}
	done := func(err error) {
		f.release()
		h.finish(struct{}{}, err)
	}
	e.fail = func(err error) { done(f.wrapErr("sync", err)) }
	e.abort = func(err error) { h.finish(struct{}{}, f.wrapErr("sync", err)) }
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			done(nil)
		case interrupted(res):
			if err := stopErr(ctx, h, f, res); err != nil {
				done(f.wrapErr("sync", err))
			} else {
				continueOn(ctx, h, func(ctx context.Context) { done(f.SyncContext(ctx)) })
			}
		default:
			done(f.wrapErr("sync", syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// OpenFile adds an OpenFile to the batch: the handle's result is what
// OpenFile(name, flag, perm) returns. A File whose open completed is
// returned even if the handle was cancelled: close it.
func (b *Batch) OpenFile(name string, flag int, perm fs.FileMode) *Pending[*File] {
	h := newPending[*File]()
	e := newEntry(h)
	op := new(sched.Op)
	*op = sched.OpenatOp(unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, syscallMode(perm))
	e.op = op
	var l *sched.Loop
	e.start = func(_ context.Context, lp *sched.Loop) bool { l = lp; return true }
	wrap := func(err error) error { return &fs.PathError{Op: "open", Path: name, Err: err} }
	e.fail = func(err error) { h.finish(nil, wrap(err)) }
	e.abort = e.fail
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			h.finish(newOpenedFile(int(res), name, l, flag), nil)
		case interrupted(res):
			if err := stopErr(ctx, h, nil, res); err != nil {
				h.finish(nil, wrap(err))
			} else {
				continueOn(ctx, h, func(ctx context.Context) {
					h.finish(OpenFileContext(ctx, name, flag, perm))
				})
			}
		default:
			h.finish(nil, wrap(syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// Stat adds a Stat of the named file to the batch: the handle's result is
// what Stat(name) returns.
func (b *Batch) Stat(name string) *Pending[fs.FileInfo] {
	h := newPending[fs.FileInfo]()
	e := newEntry(h)
	st := new(unix.Statx_t)
	op := new(sched.Op)
	*op = sched.StatxOp(unix.AT_FDCWD, name, 0, statxMask, st)
	e.op = op
	e.start = func(context.Context, *sched.Loop) bool { return true }
	wrap := func(err error) error { return &fs.PathError{Op: "stat", Path: name, Err: err} }
	e.fail = func(err error) { h.finish(nil, wrap(err)) }
	e.abort = e.fail
	e.end = func(ctx context.Context) {
		switch res := op.Res; {
		case res >= 0:
			h.finish(newFileInfo(basename(name), st), nil)
		case interrupted(res):
			if err := stopErr(ctx, h, nil, res); err != nil {
				h.finish(nil, wrap(err))
			} else {
				continueOn(ctx, h, func(ctx context.Context) {
					h.finish(statPathContext(ctx, "stat", name, 0))
				})
			}
		default:
			h.finish(nil, wrap(syscall.Errno(-res)))
		}
	}
	b.add(e, h)
	return h
}

// statPathContext is statPath with a context.
func statPathContext(ctx context.Context, op, name string, flags int) (fs.FileInfo, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	var st unix.Statx_t
	err = ignoringEINTR(func() error {
		return l.Statx(ctx, unix.AT_FDCWD, name, flags, statxMask, &st)
	})
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return newFileInfo(basename(name), &st), nil
}
