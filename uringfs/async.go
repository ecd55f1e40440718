package uringfs

// The Async functions, each a batch of one operation, and what asynchronous
// operations promise about buffers.

import (
	"context"
	"io/fs"
)

// Operations in flight without a goroutine each
//
// With os, a goroutine has one operation in flight: to keep 64 reads going
// a program runs 64 goroutines, and while they block, up to 64 OS threads.
// The io_uring loop needs neither. The Async methods (File.ReadAtAsync,
// File.WriteAtAsync, OpenFileAsync, StatAsync, ReadFileAsync) start an
// operation and return at once with a *Pending handle; a Batch queues many
// operations, optionally in linked chains, and submits them together with
// one io_uring_enter (a chain can open a file for its own later steps:
// Batch.OpenLinked); ReadFiles reads many files with their opens, reads and
// closes in flight together. On the io_uring backend no goroutine is spent
// per operation: the completion is signalled by whoever reaps it. On the
// syscall backend, and on systems other than Linux, the same API runs the
// operations on a bounded set of goroutines with the same results.
//
// Buffer ownership: a buffer passed to an asynchronous read or write belongs
// to the kernel from the call until the handle is done (Done is closed,
// Wait returns). Do not read, write or reuse it before. Once the handle is
// done, the kernel and this package are finished with it for good: nothing
// writes into it after Wait returns, also when the operation was cancelled,
// since a cancelled operation is reported done only after the kernel
// confirmed that it stopped.

// ReadAtAsync starts f.ReadAt(p, off) and returns without waiting for it.
// The handle's Wait returns what ReadAt would have returned. p belongs to
// the kernel until the handle is done (see Pending). Cancelling ctx cancels
// the read.
func (f *File) ReadAtAsync(ctx context.Context, p []byte, off int64) *Pending[int] {
	b := NewBatch()
	h := b.ReadAt(f, p, off)
	b.Submit(ctx) // a failure is reported by h
	return h
}

// WriteAtAsync starts f.WriteAt(p, off) and returns without waiting for it.
// The handle's Wait returns what WriteAt would have returned. p belongs to
// the kernel until the handle is done. Cancelling ctx cancels the write.
func (f *File) WriteAtAsync(ctx context.Context, p []byte, off int64) *Pending[int] {
	b := NewBatch()
	h := b.WriteAt(f, p, off)
	b.Submit(ctx)
	return h
}

// OpenFileAsync starts OpenFile(name, flag, perm) and returns without
// waiting for it. A File whose open completed is returned even if the
// handle was cancelled: close it.
func OpenFileAsync(ctx context.Context, name string, flag int, perm fs.FileMode) *Pending[*File] {
	b := NewBatch()
	h := b.OpenFile(name, flag, perm)
	b.Submit(ctx)
	return h
}

// StatAsync starts Stat(name) and returns without waiting for it.
func StatAsync(ctx context.Context, name string) *Pending[fs.FileInfo] {
	b := NewBatch()
	h := b.Stat(name)
	b.Submit(ctx)
	return h
}

// ReadFileAsync starts ReadFile(name) and returns without waiting for it.
// The open, the reads and the close follow one another without a
// goroutine: each is submitted by the completion of the one before.
func ReadFileAsync(ctx context.Context, name string) *Pending[[]byte] {
	b := NewBatch()
	h := b.ReadFile(name)
	b.Submit(ctx)
	return h
}
