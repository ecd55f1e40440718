//go:build !linux

package uringfs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/uringfs/uring/internal/sched"
)

// Without io_uring, a Batch runs its operations on a bounded set of
// goroutines, each operation as the synchronous os call, so that results
// and errors are those of os. A chain runs on one goroutine, in order, and
// stops at the first failure.

// errChainBroken is the error of an operation whose chain failed before it;
// it wraps ECANCELED, as io_uring reports such an operation.
var errChainBroken = fmt.Errorf("an earlier operation of its chain failed: %w", syscall.ECANCELED)

// entry is one operation of a batch.
type entry struct {
	h pendingCtl
	// run performs the operation and completes the handle; it reports
	// whether the operation succeeded, for the chain it is part of.
	run   func(ctx context.Context) bool
	abort func(err error)
	// solo is the group of an operation added outside a chain, one its
	// only entry (Batch.add).
	solo group
	one  [1]*entry
}

func newEntry[T any](p *Pending[T]) *entry { return &entry{h: p} }

// withCancel runs fn with a context that p's Cancel cancels.
func withCancel[T any](ctx context.Context, p *Pending[T], fn func(ctx context.Context) bool) bool {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.setCancel(cancel)
	return fn(cctx)
}

// batchLane has nothing to hold here: completions always come through
// the batch's queue.
type batchLane struct{}

// Wake does nothing: nobody waits in a kernel here.
func (batchLane) Wake() {}

// AddOwner does nothing here.
func (batchLane) AddOwner() {}

// DropOwner does nothing here.
func (batchLane) DropOwner() {}

// BeginWait does nothing here.
func (batchLane) BeginWait() {}

// EndWait does nothing here.
func (batchLane) EndWait() {}

// initLane has no lane to pick here.
func (q *readyQueue) initLane() {}

// awaitKernel reports false: the caller parks on the queue.
func (q *readyQueue) awaitKernel(func() bool) bool { return false }

// awaitDone returns at once: the caller waits on the handle.
func (q *readyQueue) awaitDone(<-chan struct{}) {}

func (b *Batch) submit(ctx context.Context, groups []*group) error {
	if err := ctx.Err(); err != nil {
		for _, g := range groups {
			for _, e := range g.entries {
				e.abort(err)
			}
		}
		return err
	}
	sched.PoolSpread(len(groups), func(i int) {
		g := groups[i]
		sched.PoolHold(func() {
			broken := false
			for _, e := range g.entries {
				if broken {
					e.abort(errChainBroken)
					continue
				}
				if !e.run(ctx) && g.chain {
					broken = true
				}
			}
			if lf := g.linked; lf != nil && lf.file != nil {
				lf.file.Close() // the chain did not close it
				lf.file = nil
			}
		})
	}, nil)
	return nil
}

// ReadAt adds a ReadAt of f to the batch: the handle's result is what
// f.ReadAt(p, off) returns. p belongs to the operation until the handle is
// done.
func (b *Batch) ReadAt(f *File, p []byte, off int64) *Pending[int] {
	h := newPending[int]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			n, err := f.ReadAtContext(ctx, p, off)
			h.finish(n, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(0, f.wrapErr("read", err)) }
	b.add(e, h)
	return h
}

// WriteAt adds a WriteAt of f to the batch: the handle's result is what
// f.WriteAt(p, off) returns.
func (b *Batch) WriteAt(f *File, p []byte, off int64) *Pending[int] {
	h := newPending[int]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			n, err := f.WriteAtContext(ctx, p, off)
			h.finish(n, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(0, f.wrapErr("write", err)) }
	b.add(e, h)
	return h
}

// Sync adds a Sync of f to the batch.
func (b *Batch) Sync(f *File) *Pending[struct{}] {
	h := newPending[struct{}]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			err := f.wrapErr("sync", ctx.Err())
			if err == nil {
				err = f.Sync()
			}
			h.finish(struct{}{}, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(struct{}{}, f.wrapErr("sync", err)) }
	b.add(e, h)
	return h
}

// OpenFile adds an OpenFile to the batch: the handle's result is what
// OpenFile(name, flag, perm) returns.
func (b *Batch) OpenFile(name string, flag int, perm fs.FileMode) *Pending[*File] {
	h := newPending[*File]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			f, err := OpenFileContext(ctx, name, flag, perm)
			h.finish(f, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(nil, &fs.PathError{Op: "open", Path: name, Err: err}) }
	b.add(e, h)
	return h
}

// Stat adds a Stat of the named file to the batch.
func (b *Batch) Stat(name string) *Pending[fs.FileInfo] {
	h := newPending[fs.FileInfo]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			if err := ctx.Err(); err != nil {
				h.finish(nil, &fs.PathError{Op: "stat", Path: name, Err: err})
				return false
			}
			fi, err := os.Stat(name)
			h.finish(fi, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(nil, &fs.PathError{Op: "stat", Path: name, Err: err}) }
	b.add(e, h)
	return h
}

// ReadFile adds a ReadFile of the named file to the batch. It cannot be
// part of a chain.
func (b *Batch) ReadFile(name string) *Pending[[]byte] {
	if b.chain != nil {
		panic("uringfs: ReadFile cannot be part of a chain")
	}
	h := newPending[[]byte]()
	e := newEntry(h)
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			if err := ctx.Err(); err != nil {
				h.finish(nil, &fs.PathError{Op: "open", Path: name, Err: err})
				return false
			}
			data, err := os.ReadFile(name)
			h.finish(data, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(nil, &fs.PathError{Op: "open", Path: name, Err: err}) }
	b.add(e, h)
	return h
}

// OpenLinked adds to the chain b an open of the named file with flag and
// perm, as OpenFile takes them, and returns the file for the operations
// that follow in the chain. b must be a chain (Batch.Chain), and a chain
// opens at most one file.
func (b *Batch) OpenLinked(name string, flag int, perm fs.FileMode) *LinkedFile {
	lf := &LinkedFile{name: name, flag: flag}
	b.linkIn(lf)
	lf.opened = addLinked(lf, "open", func(ctx context.Context) (struct{}, error) {
		f, err := OpenFileContext(ctx, name, flag, perm)
		if err == nil {
			lf.file = f
		}
		return struct{}{}, err
	})
	return lf
}

// ReadAt adds to the chain a read of len(p) bytes at off: the handle's
// result is what File.ReadAt returns (io.EOF when the file ends first,
// which also ends the chain).
func (lf *LinkedFile) ReadAt(p []byte, off int64) *Pending[int] {
	return addLinked(lf, "read", func(ctx context.Context) (int, error) { return lf.file.ReadAtContext(ctx, p, off) })
}

// WriteAt adds to the chain a write of p at off: the handle's result is
// what File.WriteAt returns.
func (lf *LinkedFile) WriteAt(p []byte, off int64) *Pending[int] {
	return addLinked(lf, "write", func(ctx context.Context) (int, error) { return lf.file.WriteAtContext(ctx, p, off) })
}

// Sync adds to the chain an fsync of the file, as File.Sync.
func (lf *LinkedFile) Sync() *Pending[struct{}] {
	return addLinked(lf, "sync", func(context.Context) (struct{}, error) { return struct{}{}, lf.file.Sync() })
}

// Close adds to the chain the close of the file. Without it the file is
// closed when the chain ends.
func (lf *LinkedFile) Close() *Pending[struct{}] {
	return addLinked(lf, "close", func(context.Context) (struct{}, error) {
		err := lf.file.Close()
		lf.file = nil
		return struct{}{}, err
	})
}

// addLinked adds to lf's chain an operation that run performs on the
// chain's goroutine.
func addLinked[T any](lf *LinkedFile, opName string, run func(ctx context.Context) (T, error)) *Pending[T] {
	h := newPending[T]()
	e := newEntry(h)
	var zero T
	e.run = func(ctx context.Context) bool {
		return withCancel(ctx, h, func(ctx context.Context) bool {
			if err := ctx.Err(); err != nil {
				h.finish(zero, &fs.PathError{Op: opName, Path: lf.name, Err: err})
				return false
			}
			if opName != "open" && lf.file == nil {
				h.finish(zero, &fs.PathError{Op: opName, Path: lf.name, Err: fs.ErrClosed})
				return false
			}
			v, err := run(ctx)
			h.finish(v, err)
			return err == nil
		})
	}
	e.abort = func(err error) { h.finish(zero, &fs.PathError{Op: opName, Path: lf.name, Err: err}) }
	lf.chain.add(e, h)
	return h
}
